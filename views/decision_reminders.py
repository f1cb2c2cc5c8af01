"""How decision-register and action-item reminders are worded (Telegram HTML).

Renders from the payloads `services.actions`, `services.decisions` and
`services.documentation` stored; every text from users or the file is escaped. Importing this
module registers the renderers of "action.due", "decision.pending" and "documentation.next".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date

from delivery.parts import Button, Part, Text
from delivery.renderers import escape, register, with_late_note
from governance.reminder_times import OVERDUE
from i18n import N_, t
from views import links

KIND_ACTION = "action.due"  # the same names as the services
KIND_PENDING = "decision.pending"
KIND_MINUTES = "documentation.next"

__all__ = [
    "APPROVERS",
    "KIND_ACTION",
    "KIND_MINUTES",
    "KIND_PENDING",
    "approver_name",
    "long_date",
    "register_renderers",
    "render_action",
    "render_minutes",
    "render_pending",
]

APPROVERS = {
    "forvaltningschef": N_("the förvaltningschef"),
    "socialnamnden": N_("socialnämnden"),
}


def _locale(language: str) -> str:
    return "en" if language == "en" else "sv"


def long_date(day: date | str, language: str) -> str:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return format_date(day, "long", locale=_locale(language))


_SOME_APPROVER = N_("the approving authority")


def approver_name(code: str | None, language: str) -> str:
    return t(language, APPROVERS.get(code or "", _SOME_APPROVER))


def _header(icon: str, title: str, payload: dict[str, Any]) -> str:
    parts = [escape(payload.get("diarienummer", "")), escape(payload.get("body_name", ""))]
    return f"{icon} <b>{escape(title)}</b> · " + " · ".join(p for p in parts if p)


def _owner(payload: dict[str, Any]) -> str:
    user_id = payload.get("owner_user_id")
    name = escape(payload.get("owner", ""))
    if isinstance(user_id, int):
        return f'<a href="tg://user?id={user_id}">{name}</a>'
    return name


def render_action(payload: dict[str, Any], language: str, late: bool) -> str:
    """The reminder of an action item: before, on and (once) after its due date."""
    label = str(payload.get("label", ""))
    due = long_date(str(payload["due"]), language)
    if label == OVERDUE:
        title, when = t(language, "Action item overdue"), t(language, "was due {due}")
    elif label == "P0D":
        title, when = t(language, "Action item due today"), t(language, "due today, {due}")
    else:
        title, when = t(language, "Action item due soon"), t(language, "due {due}")
    lines = [_header("📌", title, payload), f"<b>{escape(payload.get('text', ''))}</b>"]
    if payload.get("private"):
        lines.append(escape(when.format(due=due)))
    else:
        lines.append(
            t(language, "{owner}, {when}.").format(
                owner=_owner(payload), when=escape(when.format(due=due))
            )
        )
    lines.append(escape(t(language, "Mark it done with /uppgifter when it is finished.")))
    return with_late_note("\n".join(lines), language, late)


def render_pending(payload: dict[str, Any], language: str, late: bool) -> str:
    """The weekly reminder of a decision that still waits for its outside approval."""
    approver = approver_name(payload.get("approval_by"), language)
    lines = [
        _header("⏳", t(language, "Decision waiting for approval"), payload),
        t(language, "{label} ({since}) still waits for approval by {approver}:").format(
            label=f"<b>{escape(payload.get('label', ''))}</b>",
            since=escape(long_date(str(payload["since"]), language)),
            approver=escape(approver),
        ),
        f"<i>{escape(payload.get('text', ''))}</i>",
        escape(
            t(
                language,
                "When it is approved, the administrator records it with /godkann {label}.",
            ).format(label=payload.get("label", ""))
        ),
    ]
    return with_late_note("\n".join(lines), language, late)


def render_minutes(payload: dict[str, Any], language: str, late: bool) -> list[Part | str]:
    """Who writes the minutes of the coming meeting (in private with a link to the kallelse)."""
    day = escape(long_date(str(payload["meeting_day"]), language))
    lines = [_header("📝", t(language, "Minutes of the next meeting"), payload)]
    if payload.get("private"):
        lines.append(t(language, "You write the minutes of the meeting on {day}.").format(day=day))
        chat, message = payload.get("group_chat_id"), payload.get("kallelse_message_id")
        link = (
            links.message_url(chat, message)
            if isinstance(chat, int) and isinstance(message, int)
            else None
        )
        if link:
            button = Button(t(language, "Open the kallelse"), url=link)
            return [Text(with_late_note("\n".join(lines), language, late), keyboard=((button,),))]
    elif payload.get("person"):
        user_id = payload.get("person_user_id")
        name = escape(payload["person"])
        if isinstance(user_id, int):
            name = f'<a href="tg://user?id={user_id}">{name}</a>'
        lines.append(
            t(language, "{name} writes the minutes of the meeting on {day}.").format(
                name=name, day=day
            )
        )
    else:
        lines.append(
            t(language, "{party} writes the minutes of the meeting on {day}.").format(
                party=escape(payload.get("party", "")), day=day
            )
        )
    return [with_late_note("\n".join(lines), language, late)]


def register_renderers() -> None:
    register(KIND_ACTION, render_action)
    register(KIND_PENDING, render_pending)
    register(KIND_MINUTES, render_minutes)


register_renderers()
