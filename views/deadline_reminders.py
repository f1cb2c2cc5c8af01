"""How deadlines are worded: the /tidsfrister lines and the deadline reminders (Telegram HTML).

One description per deadline kind, built from the deadline's JSON-ready params, so a reminder
row's payload renders the same text as the live list. Dates are written out in the language's
long form by Babel ("31 oktober 2025"); everything from the partnership file or from users is
escaped. Importing this module registers the renderers of every ``deadline.<kind>`` reminder.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, get_args

from babel.dates import format_date

from delivery.parts import Button, Part, Text
from delivery.renderers import escape, register, with_late_note
from governance.partnership_schema import DeadlineKind
from governance.reminder_times import OVERDUE
from i18n import t
from services.deadline_list import button_token

KIND_PREFIX = "deadline."
ALL_KINDS: tuple[str, ...] = (*get_args(DeadlineKind), "cadence")

__all__ = [
    "ALL_KINDS",
    "describe",
    "done_command",
    "long_date",
    "month_span",
    "register_renderers",
    "render_reminder",
]


def _locale(language: str) -> str:
    return "en" if language == "en" else "sv"


def long_date(day: date | str, language: str) -> str:
    """'31 oktober 2025' / 'October 31, 2025'."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return format_date(day, "long", locale=_locale(language))


def _month_year(day: date, language: str) -> str:
    return format_date(day, "LLLL y", locale=_locale(language))


def month_span(start: date | str, end: date | str, language: str) -> str:
    """'maj–oktober 2025', or 'november 2025–april 2026' across a year."""
    first = date.fromisoformat(start) if isinstance(start, str) else start
    last = date.fromisoformat(end) if isinstance(end, str) else end
    if first.year == last.year:
        month = format_date(first, "LLLL", locale=_locale(language))
        return f"{month}–{_month_year(last, language)}"
    return f"{_month_year(first, language)}–{_month_year(last, language)}"


def done_command(language: str) -> str:
    return "/done" if language == "en" else "/klart"


def _date_param(params: Mapping[str, Any], name: str, language: str) -> str:
    value = params.get(name)
    return long_date(value, language) if isinstance(value, str) and value else "?"


def describe(
    kind: str,
    params: Mapping[str, Any],
    language: str,
    *,
    party_name: str | None = None,
    body_name: str | None = None,
    due: date | str | None = None,
) -> str:
    """What a deadline is, one line of HTML in `language`."""

    def d(name: str) -> str:
        return _date_param(params, name, language)

    party = escape(party_name or "?")
    body = escape(body_name or "?")
    if kind == "renewal_announcement":
        if params.get("mode") == "notice_against_extension":
            return t(
                language,
                "Last day to give notice against the extension to {extension_end} "
                "(otherwise the agreement is extended by {months} months)",
            ).format(extension_end=d("extension_end"), months=params.get("step_months", "?"))
        return t(
            language,
            "Last day to announce extension (the period ends {term_end}; "
            "extension up to {extension_end})",
        ).format(term_end=d("term_end"), extension_end=d("extension_end"))
    if kind == "termination_notice":
        return t(
            language,
            "Last day to give notice ({months} months' notice) for the agreement to end {term_end}",
        ).format(months=params.get("notice_months", "?"), term_end=d("term_end"))
    if kind == "agreement_end":
        if params.get("extends_automatically") and params.get("next_term_end"):
            return t(
                language,
                "The agreement period ends; without notice it extends to {next_term_end}",
            ).format(next_term_end=d("next_term_end"))
        if params.get("next_term_end"):
            return t(
                language, "The agreement period ends (it can be extended to {next_term_end})"
            ).format(next_term_end=d("next_term_end"))
        return t(language, "The agreement ends")
    if kind == "party_leaves":
        return t(language, "Last day of {party}'s participation in the partnership").format(
            party=party
        )
    if kind == "activity_report":
        period = month_span(str(params["period_start"]), str(params["period_end"]), language)
        month, year = params.get("committee_month"), params.get("committee_year")
        if isinstance(month, int) and isinstance(year, int):
            committee = _month_year(date(year, month, 1), language)
            return t(
                language, "Activity report {period} (social welfare committee {committee})"
            ).format(period=period, committee=committee)
        return t(language, "Activity report {period}").format(period=period)
    if kind == "annual_compilation":
        period = month_span(str(params["year_start"]), str(params["year_end"]), language)
        return t(language, "Annual compilation {period}").format(period=period)
    if kind == "financial_report":
        period = month_span(str(params["year_start"]), str(params["year_end"]), language)
        return t(language, "Financial report: {party} (operating year {period})").format(
            party=party, period=period
        )
    if kind == "payment":
        period = month_span(str(params["period_start"]), str(params["period_end"]), language)
        return t(language, "Payment to {party} for {period}").format(party=party, period=period)
    if kind == "cadence":
        if params.get("meeting_called"):
            return t(language, "Meeting interval, {body}: next meeting called for {day}").format(
                body=body, day=d("meeting_called")
            )
        day = long_date(due, language) if due is not None else "?"
        return t(language, "Meeting interval, {body}: next meeting by {day} at the latest").format(
            body=body, day=day
        )
    if kind == "documentation_rotation":
        return t(language, "The documentation duty passes on ({body})").format(body=body)
    if kind == "chair_term":
        return t(language, "The chair's term ends ({body}): a new chair must be chosen").format(
            body=body
        )
    if kind == "action_item":
        return t(language, "Action item: {item} ({owner})").format(
            item=escape(params.get("item", "")), owner=escape(params.get("owner", ""))
        )
    if kind == "pending_approval":
        return t(language, "Waiting for approval: {item}").format(
            item=escape(params.get("item", ""))
        )
    return t(language, "Deadline: {key}").format(key=escape(kind))


def _when(due: date, today: date, language: str) -> str:
    days = (due - today).days
    if days == 0:
        return t(language, "today")
    if days == 1:
        return t(language, "tomorrow")
    return t(language, "in {days} days").format(days=days)


def _ask_administrator(payload: dict[str, Any], language: str, late: bool) -> list[Text]:
    """The day after a period that may be extended by announcement ended with nothing recorded:
    the administrator records the extension or the end with a button (handlers.agreement)."""
    params = payload.get("params") or {}
    ended = str(params.get("term_end") or payload["due"])
    extension = str(params.get("next_term_end"))
    header = f"{escape(payload.get('diarienummer', ''))} · {escape(payload.get('body_name', ''))}"
    title = escape(t(language, "The agreement period has ended"))
    lines = [
        f"⏰ <b>{title}</b> · {header}",
        t(language, "The period ended on {day}; no extension is recorded.").format(
            day=long_date(ended, language)
        ),
        t(
            language,
            "The administrator records whether it was extended or has ended, here or in /avtal.",
        ),
    ]
    buttons = (
        (Button(t(language, "Extended to {day}").format(day=long_date(extension, language)),
                data=f"ag:x:{extension}"),),
        (Button(t(language, "Ended on {day}").format(day=long_date(ended, language)),
                data="ag:e"),),
    )  # fmt: skip
    return [Text(with_late_note("\n".join(lines), language, late), keyboard=buttons)]


def render_reminder(payload: dict[str, Any], language: str, late: bool) -> str | list[Text]:
    """A deadline reminder, from the payload `services.deadlines` stored."""
    kind = str(payload.get("kind", ""))
    if kind == "agreement_end" and payload.get("label") == OVERDUE:
        return _ask_administrator(payload, language, late)
    due = date.fromisoformat(str(payload["due"]))
    what = describe(
        kind,
        payload.get("params") or {},
        language,
        party_name=payload.get("party_name"),
        body_name=payload.get("body_name"),
        due=due,
    )
    header = f"{escape(payload.get('diarienummer', ''))} · {escape(payload.get('body_name', ''))}"
    label = str(payload.get("label", ""))
    if label == OVERDUE:
        title = t(language, "Overdue")
        when = t(language, "It was due {day}.").format(day=long_date(due, language))
    else:
        title = t(language, "Reminder")
        lead = int(label[1:-1]) if label.startswith("P") and label.endswith("D") else 0
        when = t(language, "Due {day} ({when}).").format(
            day=long_date(due, language),
            when=_when(due, date.fromordinal(due.toordinal() - lead), language),
        )
    lines = [f"⏰ <b>{escape(title)}</b> · {header}", what, when]
    missing = payload.get("missing")
    if missing:
        # The activity report: who has not submitted (services.report_reminders).
        lines.append(
            t(language, "Not yet submitted: {names}.").format(
                names=", ".join(escape(name) for name in missing)
            )
        )
    key = payload.get("key")
    # Dates that pass by themselves (services.deadlines.PASSES_BY_ITSELF) are not marked done.
    if key and kind not in ("agreement_end", "party_leaves"):
        lines.append(
            t(language, "When it is done: {command}").format(
                command=f"<code>{done_command(language)} {escape(key)}</code>"
            )
        )
    return with_late_note("\n".join(lines), language, late)


# Marked done where they live (/uppgifter, /godkann), or passing by themselves.
_NO_BUTTON = frozenset({"agreement_end", "party_leaves", "action_item", "pending_approval"})


def render_reminder_with_button(
    payload: dict[str, Any], language: str, late: bool
) -> list[Part | str]:
    """The reminder with a "Done" button for the chair or the administrator
    (handlers.deadlines.done_button: callback data "tfk:r:<token>")."""
    text = render_reminder(payload, language, late)
    if not isinstance(text, str):
        return list(text)  # it carries its own buttons (the administrator's, at a period's end)
    key = payload.get("key")
    if not key or payload.get("kind") in _NO_BUTTON:
        return [text]
    button = Button("✓ " + t(language, "Done"), data=f"tfk:r:{button_token(str(key))}")
    return [Text(text, keyboard=((button,),))]


def register_renderers() -> None:
    for kind in ALL_KINDS:
        register(f"{KIND_PREFIX}{kind}", render_reminder_with_button)


register_renderers()
