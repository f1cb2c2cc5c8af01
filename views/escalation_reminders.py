"""How escalation messages are worded (Telegram HTML), from the payloads
`services.escalations` stored. Importing this module registers the renderers of
"escalation.raised", "escalation.decided" and "escalation.overdue"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_datetime

from delivery.renderers import escape, register, with_late_note
from i18n import t
from views.common import clock_pattern
from views.decision_reminders import long_date

KIND_RAISED = "escalation.raised"  # the same names as the service
KIND_DECIDED = "escalation.decided"
KIND_OVERDUE = "escalation.overdue"

__all__ = [
    "KIND_DECIDED",
    "KIND_OVERDUE",
    "KIND_RAISED",
    "register_renderers",
    "render_decided",
    "render_overdue",
    "render_raised",
]


def _when(value: str, language: str) -> str:
    instant = datetime.fromisoformat(value)
    locale = "en" if language == "en" else "sv"
    pattern = "d MMMM y " + clock_pattern(language)
    return format_datetime(instant, pattern, tzinfo=instant.tzinfo, locale=locale)


def _header(icon: str, title: str, payload: dict[str, Any]) -> str:
    parts = [escape(payload.get("diarienummer", "")), f"#{payload.get('escalation_id', '')}"]
    return f"{icon} <b>{escape(title)}</b> · " + " · ".join(p for p in parts if p)


def _question(payload: dict[str, Any]) -> str:
    return f"<blockquote>{escape(payload.get('question', ''))}</blockquote>"


def render_raised(payload: dict[str, Any], language: str, late: bool) -> str:
    """Posted in the styrgrupp chat when the samverkansgrupp chair confirms a question."""
    lines = [
        _header("📨", t(language, "Question raised from the samverkansgrupp"), payload),
        _question(payload),
        escape(
            t(language, "Raised by {name} on {day}, confirmed by the chair of the {body}.").format(
                name=payload.get("raised_by") or "—",
                day=long_date(str(payload["raised_on"]), language),
                body=payload.get("from_body", ""),
            )
        ),
    ]
    if payload.get("meeting_starts"):
        lines.append(
            escape(
                t(language, "It is on the agenda of the meeting on {when}.").format(
                    when=_when(str(payload["meeting_starts"]), language)
                )
            )
        )
    else:
        lines.append(escape(t(language, "It goes on the agenda of the next meeting called.")))
    lines.append(
        escape(
            t(
                language,
                "The decision recorded with /beslut under this item is sent back to the {body}.",
            ).format(body=payload.get("from_body", ""))
        )
    )
    return with_late_note("\n".join(lines), language, late)


def render_decided(payload: dict[str, Any], language: str, late: bool) -> str:
    """Posted in the samverkansgrupp chat when the styrgrupp has decided the question."""
    question = escape(t(language, "The question raised on {day}")).format(
        day=escape(long_date(str(payload["raised_on"]), language))
    )
    link = payload.get("link")
    if isinstance(link, str) and link:
        question = f'<a href="{escape(link)}">{question}</a>'
    lines = [
        _header("✅", t(language, "The styrgrupp has decided"), payload),
        question + ":",
        _question(payload),
        t(language, "Decision {label} ({day}):").format(
            label=f"<b>{escape(payload.get('label', ''))}</b>",
            day=escape(long_date(str(payload["decided_on"]), language)),
        ),
        f"<i>{escape(payload.get('decision', ''))}</i>",
    ]
    return with_late_note("\n".join(lines), language, late)


def render_overdue(payload: dict[str, Any], language: str, late: bool) -> str:
    """To both chairs: the meeting is over and the question is still undecided."""
    chair = escape(payload.get("chair", ""))
    user_id = payload.get("chair_user_id")
    if chair and isinstance(user_id, int):
        chair = f'<a href="tg://user?id={user_id}">{chair}</a>'
    lines = [
        _header("⚠️", t(language, "Raised question not decided"), payload),
        _question(payload),
        escape(
            t(
                language,
                "It was on the agenda of the {body} meeting on {when} but no decision was recorded under it.",
            ).format(
                body=payload.get("to_body", ""),
                when=_when(str(payload["meeting_starts"]), language),
            )
        ),
    ]
    if chair:
        lines.append(
            t(language, "{chair}, please put it on the next meeting or decide it.").format(
                chair=chair
            )
        )
    return with_late_note("\n".join(lines), language, late)


def register_renderers() -> None:
    register(KIND_RAISED, render_raised)
    register(KIND_DECIDED, render_decided)
    register(KIND_OVERDUE, render_overdue)


register_renderers()
