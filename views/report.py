"""The activity report in chat: the group's status message, the private form, budgets.

Texts in the current language (`i18n._`); user text and names from the file are escaped.
Callback data (at most 64 bytes):

* ``rpf:<entry id>:<choice>`` – a button of the private form (`governance.report_form` choices
  and ``submit``);
* ``rpo:<entry id>`` – open a form from the private /rapport list;
* ``rpc:<report id>`` – the chair compiles with entries missing (from the due date);
* ``rpu:<report id>`` – refresh the status message;
* ``rps:<report id>`` – the chair sends the compiled report on to the styrgrupp;
* ``rpe:<party index>:<year>`` – an organisation's financial report is marked submitted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance import report_form as form
from governance.countries import UNKNOWN_CODE, country_name
from i18n import _, current_language
from services.reports import BudgetView, FinancialView, FormView, ReportView
from storage.models import Body, Person
from storage.reports import ActivityReport, EntryState, ReportEntry, ReportStatus
from views.common import esc, person_name
from views.report_labels import (
    GENDER_LABELS,
    NIGHT_LABELS,
    STEP_LABELS,
    THEME_LABELS,
    age_label,
    long_date,
    period_text,
)

FORM = "rpf"
OPEN = "rpo"
COMPILE = "rpc"
REFRESH = "rpu"
SEND_ON = "rps"
FINANCIAL = "rpe"

Link = Callable[[int], str]  # entry id → the deep link that opens its private form

__all__ = [
    "COMPILE",
    "FINANCIAL",
    "FORM",
    "OPEN",
    "REFRESH",
    "SEND_ON",
    "compiled_notice",
    "financial",
    "form_message",
    "my_forms",
    "number",
    "sent_on",
    "status_message",
]


def number(value: int) -> str:
    """1 234 567 (Swedish digit groups with a no-break space) / 1,234,567."""
    if current_language() == "en":
        return f"{value:,}"
    return f"{value:,}".replace(",", "\u00a0")


def _lang() -> str:
    return current_language()


# --- the group's status message -----------------------------------------------------------

_STATE_MARK = {
    EntryState.NOT_STARTED: "▫️",
    EntryState.IN_PROGRESS: "✏️",
    EntryState.SUBMITTED: "✅",
}


def _state_text(entry: ReportEntry) -> str:
    if entry.state == EntryState.SUBMITTED:
        return _("correcting") if entry.correcting else _("submitted")
    if entry.state == EntryState.IN_PROGRESS:
        return _("in progress")
    return _("not started")


def _title(report: ActivityReport) -> str:
    period = period_text(report.period_start, report.period_end, _lang())
    if report.kind == "annual":
        return _("Annual compilation {period}").format(period=period)
    return _("Activity report {period}").format(period=period)


def status_message(
    view: ReportView, link: Link, *, can_manage: bool = True
) -> tuple[str, InlineKeyboardMarkup | None]:
    report = view.report
    lines = [f"📊 <b>{esc(_title(report))}</b> · {esc(view.partnership.diarienummer)}"]
    lines.append(_("Due {day}.").format(day=long_date(report.due_on, _lang())))
    lines.append("")
    current_party = None
    for entry in view.entries:
        if entry.party_name != current_party:
            current_party = entry.party_name
            lines.append(f"<b>{esc(entry.party_name)}</b>")
        mark = _STATE_MARK.get(EntryState(entry.state), "▫️")
        name = "" if entry.unit_name == entry.party_name else f"{esc(entry.unit_name)} – "
        lines.append(f"  {mark} {name}{esc(_state_text(entry))}")
    done = sum(1 for e in view.entries if e.state == EntryState.SUBMITTED)
    lines.append("")
    lines.append(_("{done} of {total} submitted.").format(done=done, total=len(view.entries)))
    buttons: list[list[InlineKeyboardButton]] = []
    if report.status == ReportStatus.OPEN:
        lines.append(
            _(
                "Whoever answers for an activity presses its button: the form opens in a private "
                "chat with the bot. Corrections are possible until the report is compiled."
            )
        )
        for entry in view.entries:
            assert entry.id is not None
            label = entry.unit_name
            buttons.append(
                [
                    InlineKeyboardButton(
                        _("Fill in: {name}").format(name=label)[:60], url=link(entry.id)
                    )
                ]
            )
        tail = [InlineKeyboardButton(_("Refresh"), callback_data=f"{REFRESH}:{report.id}")]
        if can_manage and view.can_compile_now and not view.all_submitted:
            tail.append(
                InlineKeyboardButton(
                    _("Compile without the missing"), callback_data=f"{COMPILE}:{report.id}"
                )
            )
        buttons.append(tail)
    elif report.status == ReportStatus.COMPILED:
        lines.append(_("Compiled. The files are posted in this group."))
    else:
        lines.append(_("Compiled and sent to the styrgrupp."))
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def compiled_notice(view: ReportView) -> str:
    """Said in the group when the chair compiles (the files follow through the outbox)."""
    missing = view.compilation.missing if view.compilation else ()
    if missing:
        names = ", ".join(esc(u.name) for u in missing)
        return _("Compiled without: {names}. The files follow.").format(names=names)
    return _("Compiled. The files follow.")


# --- the private form ---------------------------------------------------------------------


def _header(view: FormView) -> str:
    entry = view.entry
    who = esc(entry.unit_name)
    if entry.unit_name != entry.party_name:
        who += f" · {esc(entry.party_name)}"
    period = period_text(view.report.period_start, view.report.period_end, _lang())
    return f"📝 <b>{who}</b>\n" + esc(_("Activity report {period}").format(period=period))


def _problem(problem: form.Problem) -> str:
    params: dict[str, Any] = {}
    for key, value in problem.params.items():
        params[key] = esc(_(value)) if key == "what" else esc(value)
    return _(problem.message).format(**params)


def _counted(view: FormView) -> str:
    if view.context.counted == "reached":
        return _("reached by the open activity")
    return _("visitors")


def _step_number(view: FormView, step: str) -> str:
    steps = view.context.steps
    return f"{steps.index(step) + 1}/{len(steps)}" if step in steps else ""  # type: ignore[arg-type]


def _fb(entry_id: int, choice: str, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"{FORM}:{entry_id}:{choice}")


def _countries_lines(countries: Mapping[str, int]) -> list[str]:
    ordered = sorted(
        ((c, n) for c, n in countries.items() if c != UNKNOWN_CODE),
        key=lambda item: (-item[1], country_name(item[0], _lang())),
    )
    return [f"• {esc(country_name(c, _lang()))}: {number(n)}" for c, n in ordered]


def _prompt(view: FormView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    state = view.state
    figures = state.figures
    entry_id = view.entry.id or 0
    step = state.step
    total = int(figures.get("total", 0))
    head = f"<b>{_step_number(view, step)} {esc(_(STEP_LABELS.get(step, '')))}</b>\n"
    if step == "total":
        if view.context.counted == "reached":
            text = _("How many did the open activity reach during the period? Write a number.")
        else:
            text = _("How many visitors did the activity have during the period? Write a number.")
        return head + text, []
    if step == "gender":
        return head + _(
            "Write the number of women, men and other/not stated, in that order (for example "
            "40 75 5). Together they make the total, {total}."
        ).format(total=number(total)), []
    if step == "countries":
        pending = state.pending
        if pending is not None and pending.get("kind") == "country":
            entry = pending["entries"][int(pending["index"])]
            text = _('Which country did you mean by "{name}"?').format(name=esc(entry["text"]))
            buttons = [
                [_fb(entry_id, f"c:{code}", country_name(code, _lang()))]
                for code in entry.get("choices", [])
            ]
            buttons.append([_fb(entry_id, "c:-", _("None of these"))])
            return head + text, buttons
        draft = figures.get("countries_draft") or {
            k: v for k, v in (figures.get("countries") or {}).items() if k != UNKNOWN_CODE
        }
        text = _(
            'Write a country and a number, one per line (for example "Rumänien 120"). Write a '
            "country again to correct it; 0 removes it. Press Done when finished: the rest of "
            "the {total} count as origin not stated."
        ).format(total=number(total))
        listed = _countries_lines(draft)
        if listed:
            given = sum(draft.values())
            text += "\n\n" + "\n".join(listed)
            text += "\n" + _("Given so far: {given} of {total}.").format(
                given=number(given), total=number(total)
            )
        return head + text, [[_fb(entry_id, "done", _("Done"))]]
    if step == "age":
        bands = ", ".join(age_label(b, _lang()) for b in form.AGE_BANDS)
        return head + _(
            "Write six numbers, for the ages {bands} (for example 0 30 50 30 8 2). Together "
            "they make the total, {total}."
        ).format(bands=esc(bands), total=number(total)), []
    if step == "night":
        return head + _(
            "Night places during the period, in place-nights: write the places offered, the "
            "places used and the number turned away for lack of a place (for example 3600 3400 "
            "150)."
        ), [[_fb(entry_id, "none", _("We have no night places"))]]
    if step == "hours":
        planned = view.context.planned_hours
        if planned is not None:
            text = _(
                "Planned by the annex: {planned} hours. Write the hours you were open, or the "
                "planned and the held hours if the plan changed (for example 812, or 800 790)."
            ).format(planned=number(planned))
        else:
            text = _(
                "Write the planned and the held opening hours of the period (for example 840 812)."
            )
        return head + text, []
    if step == "complaints":
        return head + _(
            "How many pieces of feedback and complaints did the activity receive during the "
            "period? Write a number (0 if none)."
        ), []
    if step == "themes":
        complaints = int(figures.get("complaints", 0))
        draft = figures.get("themes_draft") or figures.get("themes") or {}
        pending = state.pending
        if pending is not None and pending.get("kind") == "theme":
            name = _(THEME_LABELS.get(str(pending.get("theme")), ""))
            return head + _("How many were about {theme}? Write a number.").format(
                theme=esc(name)
            ), []
        text = _(
            "What were the {count} about? Press a theme and write how many; Done when they add up."
        ).format(count=number(complaints))
        if draft:
            text += "\n\n" + "\n".join(
                f"• {esc(_(THEME_LABELS[k]))}: {number(v)}" for k, v in draft.items()
            )
        buttons = [[_fb(entry_id, f"t:{theme}", _(THEME_LABELS[theme]))] for theme in form.THEMES]
        buttons.append([_fb(entry_id, "done", _("Done"))])
        return head + text, buttons
    if step == "needs":
        return head + _(
            "How has the activity met the participants' needs (opening hours, night places, "
            "what worked and what did not)? A short text, with nothing about individual people."
        ), [[_fb(entry_id, "skip", _("Nothing to add"))]]
    return _summary(view)


def _summary(view: FormView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    figures = view.state.figures
    entry_id = view.entry.id or 0
    lines = ["<b>" + esc(_("Summary")) + "</b>"]
    total = int(figures.get("total", 0))
    lines.append(f"{esc(_('Total'))} ({esc(_counted(view))}): {number(total)}")
    gender = figures.get("gender")
    if gender:
        lines.append(
            " · ".join(f"{esc(_(GENDER_LABELS[k]))} {number(v)}" for k, v in gender.items())
        )
    countries = figures.get("countries")
    if countries is not None:
        lines.append(f"<b>{esc(_('Countries of origin'))}</b>")
        lines += _countries_lines(countries)
        if countries.get(UNKNOWN_CODE):
            lines.append(
                f"• {esc(country_name(UNKNOWN_CODE, _lang()))}: {number(countries[UNKNOWN_CODE])}"
            )
    age = figures.get("age")
    if age:
        lines.append(
            f"<b>{esc(_('Age'))}</b> "
            + " · ".join(f"{esc(age_label(k, _lang()))} {number(v)}" for k, v in age.items())
        )
    if "night" in figures:
        night = figures["night"]
        if night:
            lines.append(
                f"<b>{esc(_('Night places'))}</b> "
                + " · ".join(f"{esc(_(NIGHT_LABELS[k]))} {number(v)}" for k, v in night.items())
            )
        else:
            lines.append(f"<b>{esc(_('Night places'))}</b> " + esc(_("none")))
    hours = figures.get("hours")
    if hours:
        lines.append(
            f"<b>{esc(_('Opening hours'))}</b> "
            + _("planned {planned}, held {held}").format(
                planned=number(hours["planned"]), held=number(hours["held"])
            )
        )
    if "complaints" in figures:
        themes = figures.get("themes") or {}
        detail = ", ".join(f"{esc(_(THEME_LABELS[k]))} {number(v)}" for k, v in themes.items())
        line = f"<b>{esc(_('Feedback and complaints'))}</b> {number(int(figures['complaints']))}"
        lines.append(line + (f" ({detail})" if detail else ""))
    if "needs" in figures:
        needs = str(figures.get("needs") or "")
        lines.append(f"<b>{esc(_('How needs were met'))}</b>")
        lines.append(esc(needs) if needs else "–")
    buttons: list[list[InlineKeyboardButton]] = []
    entry = view.entry
    if entry.state != EntryState.SUBMITTED or entry.correcting:
        buttons.append([_fb(entry_id, "submit", _("Submit"))])
    edits = [
        _fb(entry_id, f"edit:{step}", _("Change: {part}").format(part=_(STEP_LABELS[step])))
        for step in view.context.steps
        if step != "themes" or figures.get("complaints")
    ]
    buttons += [edits[i : i + 2] for i in range(0, len(edits), 2)]
    return "\n".join(lines), buttons


def form_message(view: FormView) -> tuple[str, InlineKeyboardMarkup | None]:
    """The form's next message: a refusal or a note first, then the question or the summary."""
    parts: list[str] = []
    if view.problem is not None:
        parts.append("⚠️ " + _problem(view.problem))
    for note in view.notes:
        parts.append(_problem(note))
    if view.submitted_now:
        parts.append(
            "✅ "
            + _(
                "Submitted. You can correct the figures until the report is compiled: press Change."
            )
        )
        if view.compiled is not None:
            parts.append(_("Every activity has now submitted: the report is compiled."))
    body, buttons = _prompt(view)
    parts.append(_header(view) + "\n\n" + body)
    return "\n\n".join(parts), InlineKeyboardMarkup(buttons) if buttons else None


def my_forms(
    entries: Sequence[tuple[ReportEntry, ActivityReport]],
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Private /rapport: the open forms this member answers for."""
    if not entries:
        return _(
            "You have no activity report to fill in. When the chair opens one, it is listed here "
            "and in the group."
        ), None
    buttons = [
        [
            InlineKeyboardButton(
                f"{entry.unit_name} ({period_text(report.period_start, report.period_end, _lang())})"[
                    :60
                ],
                callback_data=f"{OPEN}:{entry.id}",
            )
        ]
        for entry, report in entries
    ]
    return _("Choose the form to fill in:"), InlineKeyboardMarkup(buttons)


# --- budgets and financial reports --------------------------------------------------------


def _budget(budget: BudgetView) -> list[str]:
    lines = [f"<b>{esc(budget.party_name)}</b> – {esc(budget.title)}"]
    if budget.heading:
        lines.append(f"<i>{esc(budget.heading)}</i>")
    currency = esc(_("SEK"))  # "kr" in Swedish
    total = _("Total")
    width = max([len(label) for label, _amount in budget.lines] + [len(total)])
    for label, amount in budget.lines:
        lines.append(
            f"<code>{esc(label.ljust(width))}  {number(amount).rjust(11)} {currency}</code>"
        )
    lines.append(
        f"<code>{esc(total.ljust(width))}  {number(budget.total).rjust(11)} {currency}</code>"
    )
    lines.append(_("For {months} months of activity.").format(months=budget.period_months))
    return lines


def financial(
    view: FinancialView, party_index: Mapping[str, int]
) -> tuple[str, InlineKeyboardMarkup | None]:
    heading = esc(_("Budgets in the annexes"))
    lines = [f"💰 <b>{heading}</b> · {esc(view.partnership.diarienummer)}", ""]
    for budget in view.budgets:
        lines += [*_budget(budget), ""]
    if view.parties_without_budget:
        lines.append(
            _("No budget in the file for: {names}.").format(
                names=", ".join(esc(n) for n in view.parties_without_budget)
            )
        )
    buttons: list[list[InlineKeyboardButton]] = []
    if view.open_reports:
        lines.append("")
        lines.append("<b>" + esc(_("Financial reports not yet submitted")) + "</b>")
        for key, party, year_end, due in view.open_reports:
            lines.append(
                _("{party}: operating year to {year_end}, due {due}").format(
                    party=esc(party),
                    year_end=long_date(year_end, _lang()),
                    due=long_date(due, _lang()),
                )
            )
            party_key = key.split(":")[1]
            index = party_index.get(party_key)
            if index is not None:
                buttons.append(
                    [
                        InlineKeyboardButton(
                            _("Submitted: {party}").format(party=party)[:60],
                            callback_data=f"{FINANCIAL}:{index}:{year_end.year}",
                        )
                    ]
                )
    return "\n".join(lines).strip(), InlineKeyboardMarkup(buttons) if buttons else None


def sent_on(view: ReportView, target: Body, person: Person | None) -> str:
    """The chair's button message once pressed: who sent the report on, and when."""
    report = view.report
    when = long_date(report.sent_at.date(), _lang()) if report.sent_at else ""
    who = esc(person_name(person)) if person is not None else ""
    return "✅ " + _("Sent to the styrgrupp by {who}, {day}. The deadline is met.").format(
        who=who, day=when
    )
