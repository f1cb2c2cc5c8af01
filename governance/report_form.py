"""The private form of the verksamhetsrapport: who reports, its steps, and every value checked.

Pure: a `FormState` (JSON-ready, stored by the caller) and an input (a text or a button's
choice) give the next state, or a `Problem` that changes nothing. What is asked follows the
partnership file: `[statistics] metrics` (001: visitors by gender and country of origin, age,
night places, opening hours; 004: reached by gender) and `[complaints]`; a total and a free text
on how needs were met are always asked.

Who reports: every activity in the annexes of the non-profit parties; a non-profit party whose
annex lists no activity reports as one unit under its own name (001: Frälsningsarmén, Ny
Gemenskap). The city (public party) receives the report; it does not fill one in.

Readings:
* Visitors are counted over the half-year as the activity counts them; gender is women, men and
  other/not stated, which together make the total. Countries of origin need not cover everyone:
  what is not given is "origin not stated". Age bands, like gender, make the total.
* Opening hours: planned hours come from the annex's weekly hours over the period (the days the
  annex says are closed each week deducted, public holidays not), shown as a suggestion; the
  member may give their own planned figure when the plan changed.
* Night places are counted in place-nights: offered, used, and people turned away for lack of a
  place. An activity without night places says so with a button.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from governance.countries import (
    UNKNOWN_CODE,
    Exact,
    Likely,
    Unknown,
    Unsure,
    country_codes,
    match_country,
)
from governance.individual_data import IndividualDataKind, find_individual_data
from governance.partnership_schema import OpeningHours, PartnershipSpec
from i18n import N_

__all__ = [
    "AGE_BANDS",
    "GENDERS",
    "MAX_COUNT",
    "MAX_TEXT",
    "THEMES",
    "FormContext",
    "FormState",
    "Outcome",
    "Problem",
    "ReportUnit",
    "Step",
    "form_context",
    "form_steps",
    "handle_choice",
    "handle_text",
    "is_complete",
    "planned_hours",
    "reporting_units",
    "start_state",
]

Step = Literal[
    "total", "gender", "countries", "age", "night", "hours", "complaints", "themes", "needs"
]
SUMMARY = "summary"
GENDERS = ("women", "men", "other")
AGE_BANDS = ("0-17", "18-29", "30-49", "50-64", "65+", "unknown")
THEMES = (
    "treatment",
    "opening_hours",
    "food",
    "premises",
    "night_places",
    "information",
    "safety",
    "other",
)
MAX_COUNT = 10_000_000  # more than any activity sees in half a year: a typo
MAX_HOURS = 5_000  # a half-year has at most 4 392 hours
MAX_TEXT = 3000
WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


# --- who reports --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportUnit:
    """One activity that reports (or a party without listed activities)."""

    key: str  # "convictus/mobilt-uppsok", or the party's key alone
    party_key: str
    party_name: str
    name: str
    activity_key: str | None = None
    opening_hours: tuple[OpeningHours, ...] = ()
    closed_days_per_week: int = 0


def reporting_units(spec: PartnershipSpec) -> tuple[ReportUnit, ...]:
    units: list[ReportUnit] = []
    for party in spec.nonprofit_parties:
        activities = spec.activities_for(party.key)
        if not activities:
            units.append(
                ReportUnit(
                    key=party.key, party_key=party.key, party_name=party.name, name=party.name
                )
            )
            continue
        for activity in activities:
            units.append(
                ReportUnit(
                    key=f"{party.key}/{activity.key}",
                    party_key=party.key,
                    party_name=party.name,
                    name=activity.name,
                    activity_key=activity.key,
                    opening_hours=activity.opening_hours,
                    closed_days_per_week=activity.closed_days_per_week,
                )
            )
    return tuple(units)


def planned_hours(unit: ReportUnit, start: date, end: date) -> int | None:
    """Hours open by the annex's weekly plan over start..end (see the module's readings)."""
    if not unit.opening_hours:
        return None
    daily: dict[int, float] = {}
    for block in unit.opening_hours:
        length = (
            datetime.combine(start, block.closes) - datetime.combine(start, block.opens)
        ).total_seconds() / 3600
        for weekday in block.days:
            index = WEEKDAY_INDEX[weekday]
            daily[index] = daily.get(index, 0.0) + length
    open_days = len(daily)
    factor = (open_days - unit.closed_days_per_week) / open_days if open_days else 0.0
    total = 0.0
    day = start
    while day <= end:
        total += daily.get(day.weekday(), 0.0)
        day += timedelta(days=1)
    return round(total * factor)


# --- the steps ----------------------------------------------------------------------------


def form_steps(spec: PartnershipSpec) -> tuple[Step, ...]:
    metrics = set(spec.statistics.metrics)
    steps: list[Step] = ["total"]
    if metrics & {"visitors_by_gender", "reached_by_gender"}:
        steps.append("gender")
    if "visitors_by_country_of_origin" in metrics:
        steps.append("countries")
    if "age" in metrics:
        steps.append("age")
    if "night_places" in metrics:
        steps.append("night")
    if "opening_hours" in metrics:
        steps.append("hours")
    if spec.complaints is not None:
        steps += ["complaints", "themes"]
    steps.append("needs")
    return tuple(steps)


@dataclass(frozen=True)
class FormContext:
    steps: tuple[Step, ...]
    # "visitors" (001: besökare) or "reached" (004: nåtts av den öppna verksamheten)
    counted: Literal["visitors", "reached"] = "visitors"
    planned_hours: int | None = None


def form_context(spec: PartnershipSpec, unit: ReportUnit, start: date, end: date) -> FormContext:
    metrics = spec.statistics.metrics
    counted: Literal["visitors", "reached"] = (
        "reached"
        if "reached_by_gender" in metrics and "visitors_by_gender" not in metrics
        else "visitors"
    )
    return FormContext(
        steps=form_steps(spec), counted=counted, planned_hours=planned_hours(unit, start, end)
    )


@dataclass(frozen=True)
class Problem:
    """Why an input was refused: a message id (translated by the view) and its parameters."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FormState:
    step: str  # a Step, or "summary"
    figures: Mapping[str, Any] = field(default_factory=dict)
    # A question the form is waiting on: {"kind": "country", ...} or {"kind": "theme", ...}
    pending: Mapping[str, Any] | None = None
    editing: bool = False  # came from the summary: go back there after this step

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "figures": dict(self.figures),
            "pending": None if self.pending is None else dict(self.pending),
            "editing": self.editing,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> FormState:
        data = data or {}
        return cls(
            step=str(data.get("step") or "total"),
            figures=dict(data.get("figures") or {}),
            pending=data.get("pending"),
            editing=bool(data.get("editing")),
        )


@dataclass(frozen=True)
class Outcome:
    state: FormState
    problem: Problem | None = None
    # Something to tell besides the next question (e.g. "3 not stated").
    notes: tuple[Problem, ...] = ()


def start_state(ctx: FormContext, figures: Mapping[str, Any] | None = None) -> FormState:
    """A fresh form, or one starting from earlier figures (a correction): then the summary."""
    if figures:
        return FormState(step=SUMMARY, figures=dict(figures))
    return FormState(step=ctx.steps[0])


def is_complete(ctx: FormContext, figures: Mapping[str, Any]) -> bool:
    return all(_has(step, figures) for step in ctx.steps) and not _inconsistent(ctx, figures)


def _has(step: Step, figures: Mapping[str, Any]) -> bool:
    key = {"countries": "countries", "themes": "themes"}.get(step, step)
    if step == "themes":
        return "themes" in figures or figures.get("complaints") == 0
    return key in figures


# --- numbers ------------------------------------------------------------------------------

_GROUPED = re.compile(
    r"(?<![\w.,])([-−–]?)\s?(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)([.,]\d+)?(?!\w)"
)
_PLAIN = re.compile(r"(?<![\w.,])([-−–]?)\s?(\d+)([.,]\d+)?(?!\w)")


def _numbers(text: str, *, grouped: bool = True) -> list[int] | Problem:
    """Whole numbers in `text`, in order. With `grouped`, "1 234" is one number (a single figure
    is asked); without, spaces separate numbers (several are asked). Negative or decimal:
    refused."""
    found: list[int] = []
    for match in (_GROUPED if grouped else _PLAIN).finditer(text):
        sign, digits, decimals = match.groups()
        if sign:
            return Problem(N_("Numbers cannot be negative. Nothing was changed."))
        if decimals:
            return Problem(N_("Write whole numbers, without decimals. Nothing was changed."))
        value = int(re.sub(r"\D", "", digits))
        if value > MAX_COUNT:
            return Problem(
                N_("{value} is more than the form accepts. Check the figure; nothing was changed."),
                {"value": value},
            )
        found.append(value)
    return found


def _exactly(text: str, count: int, example: str) -> list[int] | Problem:
    numbers = _numbers(text, grouped=count == 1)
    if isinstance(numbers, Problem):
        return numbers
    if len(numbers) != count:
        return Problem(
            N_("Write {count} numbers, for example: {example}. Nothing was changed."),
            {"count": count, "example": example},
        )
    return numbers


def _sum_problem(parts: Sequence[int], total: int, what: str) -> Problem | None:
    if sum(parts) == total:
        return None
    return Problem(
        N_(
            "{parts} = {sum}, but the total is {total}. The {what} must add up to the total; "
            "nothing was changed."
        ),
        {
            "parts": " + ".join(str(p) for p in parts),
            "sum": sum(parts),
            "total": total,
            "what": what,
        },
    )


# --- moving on ----------------------------------------------------------------------------


def _inconsistent(ctx: FormContext, figures: Mapping[str, Any]) -> Step | None:
    """The first step whose figures no longer agree with the total (after a correction)."""
    total = figures.get("total")
    if total is None:
        return None
    gender = figures.get("gender")
    if "gender" in ctx.steps and gender is not None and sum(gender.values()) != total:
        return "gender"
    countries = figures.get("countries")
    if (
        "countries" in ctx.steps
        and countries is not None
        and sum(v for k, v in countries.items() if k != UNKNOWN_CODE) > total
    ):
        return "countries"
    age = figures.get("age")
    if "age" in ctx.steps and age is not None and sum(age.values()) != total:
        return "age"
    themes = figures.get("themes")
    complaints = figures.get("complaints")
    if (
        "themes" in ctx.steps
        and themes is not None
        and complaints is not None
        and sum(themes.values()) != complaints
    ):
        return "themes"
    return None


def _advance(ctx: FormContext, state: FormState, figures: Mapping[str, Any]) -> FormState:
    """After a step is done: the next unanswered step, or the summary."""
    figures = dict(figures)
    if figures.get("complaints") == 0:
        figures["themes"] = {}
    wrong = _inconsistent(ctx, figures)
    if wrong is not None:
        return FormState(step=wrong, figures=figures, editing=state.editing)
    if state.editing:
        missing = [s for s in ctx.steps if not _has(s, figures)]
        if missing:
            return FormState(step=missing[0], figures=figures, editing=True)
        return FormState(step=SUMMARY, figures=figures)
    index = ctx.steps.index(state.step) if state.step in ctx.steps else -1  # type: ignore[arg-type]
    for step in ctx.steps[index + 1 :]:
        if not _has(step, figures):
            return FormState(step=step, figures=figures)
    return FormState(step=SUMMARY, figures=figures)


def _with(state: FormState, **values: Any) -> dict[str, Any]:
    figures = dict(state.figures)
    figures.update(values)
    return figures


# --- text input ---------------------------------------------------------------------------


def handle_text(ctx: FormContext, state: FormState, text: str) -> Outcome:
    """A message typed into the form at its current step."""
    text = text.strip()
    if not text:
        return Outcome(state, Problem(N_("Write the figures as a message.")))
    found = find_individual_data(text)
    if found is not None:
        return Outcome(state, _individual_problem(found))
    step = state.step
    if state.pending is not None and state.pending.get("kind") == "theme":
        return _theme_count(ctx, state, text)
    if step == "total":
        numbers = _exactly(text, 1, "120")
        if isinstance(numbers, Problem):
            return Outcome(state, numbers)
        return Outcome(_advance(ctx, state, _with(state, total=numbers[0])))
    total = int(state.figures.get("total", 0))
    if step == "gender":
        numbers = _exactly(text, 3, "40 75 5")
        if isinstance(numbers, Problem):
            return Outcome(state, numbers)
        problem = _sum_problem(numbers, total, N_("women, men and other/not stated"))
        if problem is not None:
            return Outcome(state, problem)
        gender = dict(zip(GENDERS, numbers, strict=True))
        return Outcome(_advance(ctx, state, _with(state, gender=gender)))
    if step == "countries":
        return _countries_text(ctx, state, text)
    if step == "age":
        numbers = _exactly(text, len(AGE_BANDS), "0 30 50 30 8 2")
        if isinstance(numbers, Problem):
            return Outcome(state, numbers)
        problem = _sum_problem(numbers, total, N_("age bands"))
        if problem is not None:
            return Outcome(state, problem)
        age = dict(zip(AGE_BANDS, numbers, strict=True))
        return Outcome(_advance(ctx, state, _with(state, age=age)))
    if step == "night":
        numbers = _exactly(text, 3, "3600 3400 150")
        if isinstance(numbers, Problem):
            return Outcome(state, numbers)
        offered, used, turned_away = numbers
        if used > offered:
            return Outcome(
                state,
                Problem(
                    N_(
                        "{used} place-nights used is more than the {offered} offered. "
                        "Nothing was changed."
                    ),
                    {"used": used, "offered": offered},
                ),
            )
        night = {"offered": offered, "used": used, "turned_away": turned_away}
        return Outcome(_advance(ctx, state, _with(state, night=night)))
    if step == "hours":
        numbers = _numbers(text)
        if (
            not isinstance(numbers, Problem)
            and len(numbers) == 1
            and (ctx.planned_hours is None or numbers[0] > MAX_HOURS)
        ):
            # "774 760" is planned and held, not 774 760 hours, when one figure is not enough
            # or could not be hours.
            split = _numbers(text, grouped=False)
            if not isinstance(split, Problem) and len(split) == 2:
                numbers = split
        if isinstance(numbers, Problem):
            return Outcome(state, numbers)
        if len(numbers) == 1 and ctx.planned_hours is not None:
            planned, held = ctx.planned_hours, numbers[0]
        elif len(numbers) == 2:
            planned, held = numbers
        else:
            example = "812" if ctx.planned_hours is not None else "840 812"
            return Outcome(
                state,
                Problem(
                    N_(
                        "Write the hours held (or planned and held), for example: {example}. "
                        "Nothing was changed."
                    ),
                    {"example": example},
                ),
            )
        if max(planned, held) > MAX_HOURS:
            return Outcome(
                state,
                Problem(
                    N_("A half-year has fewer than {max} hours. Nothing was changed."),
                    {"max": MAX_HOURS},
                ),
            )
        hours = {"planned": planned, "held": held}
        return Outcome(_advance(ctx, state, _with(state, hours=hours)))
    if step == "complaints":
        numbers = _exactly(text, 1, "4")
        if isinstance(numbers, Problem):
            return Outcome(state, numbers)
        figures = _with(state, complaints=numbers[0])
        if numbers[0] == 0:
            figures["themes"] = {}
        elif "themes" in figures and sum(figures["themes"].values()) != numbers[0]:
            del figures["themes"]  # asked again: the themes must add up to the new number
        return Outcome(_advance(ctx, state, figures))
    if step == "themes":
        return Outcome(state, Problem(N_("Choose a theme with the buttons first.")))
    if step == "needs":
        if len(text) > MAX_TEXT:
            return Outcome(
                state,
                Problem(
                    N_("The text is {length} characters; at most {max} fit. Nothing was changed."),
                    {"length": len(text), "max": MAX_TEXT},
                ),
            )
        return Outcome(_advance(ctx, state, _with(state, needs=text)))
    return Outcome(state, Problem(N_("Use the buttons to submit or to change a part.")))


def _individual_problem(kind: IndividualDataKind) -> Problem:
    what = {
        "identity_number": N_("a personal identity number"),
        "birth_date": N_("a date of birth"),
        "phone": N_("a phone number"),
        "email": N_("an e-mail address"),
        "name_and_age": N_("a name with an age"),
    }[kind]
    return Problem(
        N_(
            "That reads as data about an individual ({what}). The report holds aggregated "
            "figures only, so nothing was recorded. Please write it again without it."
        ),
        {"what": what},
    )


# --- countries ----------------------------------------------------------------------------


def _split_country_line(line: str) -> tuple[str, str] | None:
    """("Rumänien", "120") from "Rumänien 120", "Rumänien: 120" or "120 Rumänien"."""
    match = re.fullmatch(r"\s*(.*?[^\d\s:=-])\s*[:=]?\s*([-−–]?\s?[\d][\d \u00a0]*)\s*", line)
    if match:
        return match.group(1), match.group(2)
    match = re.fullmatch(r"\s*([-−–]?\s?\d[\d\u00a0]*)\s+(.*\S)\s*", line)
    if match:
        return match.group(2), match.group(1)
    return None


def _countries_text(ctx: FormContext, state: FormState, text: str) -> Outcome:
    """Lines "country count"; all lines are checked before anything is recorded."""
    if state.pending is not None:
        return Outcome(state, Problem(N_("Choose the country with the buttons first.")))
    entries: list[dict[str, Any]] = []
    for line in [ln for ln in re.split(r"[\n;]+|,(?!\d{3})", text) if ln.strip()]:
        parts = _split_country_line(line)
        if parts is None:
            return Outcome(
                state,
                Problem(
                    N_(
                        'Write a country and a number on each line, for example "Rumänien 120". '
                        "Nothing was changed."
                    )
                ),
            )
        name, digits = parts
        numbers = _numbers(digits)
        if isinstance(numbers, Problem):
            return Outcome(state, numbers)
        if len(numbers) != 1:
            return Outcome(state, Problem(N_("Write one number per country. Nothing was changed.")))
        found = match_country(name)
        if isinstance(found, Unknown):
            return Outcome(
                state,
                Problem(
                    N_(
                        '"{name}" is not a country the bot knows. Check the spelling; nothing was '
                        "changed."
                    ),
                    {"name": name[:60]},
                ),
            )
        entry: dict[str, Any] = {"text": name[:60], "count": numbers[0]}
        if isinstance(found, Exact | Likely):
            entry["code"] = found.code
        elif isinstance(found, Unsure):
            entry["choices"] = list(found.codes)
        entries.append(entry)
    return _settle_countries(ctx, state, entries)


def _settle_countries(ctx: FormContext, state: FormState, entries: list[dict[str, Any]]) -> Outcome:
    """Ask about the first unsure entry, or record them all when none is left."""
    for index, entry in enumerate(entries):
        if "code" not in entry:
            pending = {"kind": "country", "entries": entries, "index": index}
            return Outcome(replace(state, pending=pending))
    figures = state.figures
    countries = dict(figures.get("countries_draft") or figures.get("countries") or {})
    countries.pop(UNKNOWN_CODE, None)
    for entry in entries:
        if entry["count"] == 0:
            countries.pop(entry["code"], None)
        else:
            countries[entry["code"]] = entry["count"]
    total = int(state.figures.get("total", 0))
    given = sum(countries.values())
    if given > total:
        return Outcome(
            replace(state, pending=None),
            Problem(
                N_(
                    "The countries add up to {given}, more than the total of {total}. "
                    "Nothing was changed."
                ),
                {"given": given, "total": total},
            ),
        )
    # Recorded, the form stays at this step until "Done".
    figures = _with(state, countries_draft=countries)
    return Outcome(FormState(step="countries", figures=figures, editing=state.editing))


def _finish_countries(ctx: FormContext, state: FormState) -> Outcome:
    countries = dict(state.figures.get("countries_draft") or state.figures.get("countries") or {})
    countries.pop(UNKNOWN_CODE, None)
    total = int(state.figures.get("total", 0))
    rest = total - sum(countries.values())
    if rest < 0:
        return Outcome(
            state,
            Problem(
                N_("The countries add up to more than the total of {total}. Correct a country."),
                {"total": total},
            ),
        )
    if rest:
        countries[UNKNOWN_CODE] = rest
    figures = _with(state, countries=countries)
    figures.pop("countries_draft", None)
    notes: tuple[Problem, ...] = ()
    if rest:
        notes = (Problem(N_("{count} with origin not stated."), {"count": rest}),)
    return Outcome(_advance(ctx, state, figures), notes=notes)


# --- themes -------------------------------------------------------------------------------


def _theme_count(ctx: FormContext, state: FormState, text: str) -> Outcome:
    assert state.pending is not None
    numbers = _exactly(text, 1, "2")
    if isinstance(numbers, Problem):
        return Outcome(state, numbers)
    theme = str(state.pending.get("theme"))
    themes = dict(state.figures.get("themes_draft") or state.figures.get("themes") or {})
    if numbers[0] == 0:
        themes.pop(theme, None)
    else:
        themes[theme] = numbers[0]
    complaints = int(state.figures.get("complaints", 0))
    if sum(themes.values()) > complaints:
        return Outcome(
            state,
            Problem(
                N_(
                    "The themes add up to {sum}, more than the {total} received. "
                    "Nothing was changed."
                ),
                {"sum": sum(themes.values()), "total": complaints},
            ),
        )
    figures = _with(state, themes_draft=themes)
    return Outcome(FormState(step="themes", figures=figures, editing=state.editing))


def _finish_themes(ctx: FormContext, state: FormState) -> Outcome:
    themes = dict(state.figures.get("themes_draft") or state.figures.get("themes") or {})
    complaints = int(state.figures.get("complaints", 0))
    given = sum(themes.values())
    if given != complaints:
        return Outcome(
            state,
            Problem(
                N_(
                    "The themes add up to {sum}, but {total} were received. Give a theme to "
                    "each (Other for the rest)."
                ),
                {"sum": given, "total": complaints},
            ),
        )
    figures = _with(state, themes=themes)
    figures.pop("themes_draft", None)
    return Outcome(_advance(ctx, state, figures))


# --- buttons ------------------------------------------------------------------------------


def handle_choice(ctx: FormContext, state: FormState, choice: str) -> Outcome:
    """A button pressed in the form. Choices: ``done`` (countries, themes), ``c:<code>`` /
    ``c:-`` (which country was meant), ``t:<theme>``, ``none`` (no night places), ``skip`` (no
    free text), ``edit:<step>`` (from the summary)."""
    stale = Outcome(state, Problem(N_("This button is no longer valid.")))
    if choice.startswith("edit:"):
        step = choice[5:]
        if state.step != SUMMARY or step not in ctx.steps:
            return stale
        figures = dict(state.figures)
        if step == "countries":
            figures["countries_draft"] = {
                k: v for k, v in (figures.get("countries") or {}).items() if k != UNKNOWN_CODE
            }
        if step == "themes":
            figures["themes_draft"] = dict(figures.get("themes") or {})
        return Outcome(FormState(step=step, figures=figures, editing=True))
    if choice.startswith("c:"):
        pending = state.pending
        if state.step != "countries" or pending is None or pending.get("kind") != "country":
            return stale
        entries = [dict(e) for e in pending["entries"]]
        entry = entries[int(pending["index"])]
        code = choice[2:]
        if code == "-":
            return Outcome(
                replace(state, pending=None),
                Problem(
                    N_('"{name}" was not recorded. Write it again, spelt another way.'),
                    {"name": entry["text"]},
                ),
            )
        if code not in entry.get("choices", []) or code not in country_codes():
            return stale
        entry["code"] = code
        entry.pop("choices", None)
        return _settle_countries(ctx, replace(state, pending=None), entries)
    if choice == "done":
        if state.pending is not None and state.pending.get("kind") == "country":
            return Outcome(state, Problem(N_("Choose the country with the buttons first.")))
        if state.step == "countries":
            return _finish_countries(ctx, state)
        if state.step == "themes":
            return _finish_themes(ctx, replace(state, pending=None))
        return stale
    if choice.startswith("t:"):
        theme = choice[2:]
        if state.step != "themes" or theme not in THEMES:
            return stale
        return Outcome(replace(state, pending={"kind": "theme", "theme": theme}))
    if choice == "none":
        if state.step != "night":
            return stale
        return Outcome(_advance(ctx, state, _with(state, night=None)))
    if choice == "skip":
        if state.step != "needs":
            return stale
        return Outcome(_advance(ctx, state, _with(state, needs="")))
    return stale


def submitted_figures(ctx: FormContext, figures: Mapping[str, Any]) -> dict[str, Any]:
    """The figures as stored on submission: drafts dropped, only what the steps ask."""
    keep = {
        "total",
        "gender",
        "countries",
        "age",
        "night",
        "hours",
        "complaints",
        "themes",
        "needs",
    }
    return {k: v for k, v in figures.items() if k in keep}
