"""How meeting reminders are worded (Telegram HTML): the group reminder before a meeting and the
private nudge to a member who has not answered the kallelse.

Both render from the payload `services.meeting_reminders` stored: the start as local wall time
with its offset, so the text shows the time members read on their clocks, whatever the DST.
Names and places come from users or the partnership file and are escaped. Importing this module
registers the renderers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_date

from delivery.parts import Button, Part, Text
from delivery.renderers import escape, register, with_late_note
from i18n import t
from views import links
from views.common import clock
from views.private_buttons import rsvp_row

KIND_BEFORE = "meeting.before"  # the same names as services.meeting_reminders
KIND_NUDGE = "meeting.nudge"

__all__ = [
    "KIND_BEFORE",
    "KIND_NUDGE",
    "kallelse_link",
    "meeting_time",
    "register_renderers",
    "render_before",
    "render_nudge",
    "time_until",
]


def _locale(language: str) -> str:
    return "en" if language == "en" else "sv"


def meeting_time(local_start: str, language: str) -> str:
    """'tisdag 27 oktober 2026 kl. 10.00' / 'Tuesday, October 27, 2026 at 10:00'."""
    start = datetime.fromisoformat(local_start)
    day = format_date(start.date(), "full", locale=_locale(language))
    return t(language, "{day} at {time}").format(day=day, time=clock(start, language))


def time_until(offset: str, language: str) -> str | None:
    """The offset in words ("in 7 days", "tomorrow", "in 1 hour"); None when unreadable."""
    if len(offset) < 2 or not offset[:-1].isdigit():
        return None
    amount, unit = int(offset[:-1]), offset[-1]
    if unit == "d":
        if amount == 1:
            return t(language, "tomorrow")
        return t(language, "in {days} days").format(days=amount)
    if unit == "h":
        if amount == 1:
            return t(language, "in 1 hour")
        return t(language, "in {hours} hours").format(hours=amount)
    if unit == "m":
        return t(language, "in {minutes} minutes").format(minutes=amount)
    return None


def kallelse_link(payload: dict[str, Any]) -> str | None:
    """A link to the kallelse message; only supergroups (id -100…) have message links."""
    chat, message = payload.get("group_chat_id"), payload.get("kallelse_message_id")
    if not isinstance(chat, int) or not isinstance(message, int):
        return None
    return links.message_url(chat, message)


def _header(icon: str, title: str, payload: dict[str, Any], language: str) -> str:
    parts = [escape(payload.get("diarienummer", "")), escape(payload.get("body_name", ""))]
    number, year = payload.get("number"), payload.get("year")
    if isinstance(number, int) and isinstance(year, int):
        label = t(language, "meeting {number}/{year}").format(number=number, year=year)
        parts.append(escape(label))
    return f"{icon} <b>{escape(title)}</b> · " + " · ".join(p for p in parts if p)


def _when_line(payload: dict[str, Any], language: str, late: bool) -> str:
    body = escape(payload.get("body_name", ""))
    at = escape(meeting_time(str(payload["local_start"]), language))
    # A late send cannot say "in 7 days": only the time itself stays true.
    until = None if late else time_until(str(payload.get("offset", "")), language)
    if until is None:
        return t(language, "{body} meets {at}.").format(body=body, at=at)
    return t(language, "{body} meets {until}: {at}.").format(body=body, until=escape(until), at=at)


def _place_line(payload: dict[str, Any], language: str) -> str | None:
    place = payload.get("place")
    if not place:
        return None
    return t(language, "Place: {place}").format(place=escape(place))


def render_before(payload: dict[str, Any], language: str, late: bool) -> list[Part | str]:
    """The group's reminder before a meeting; it invites members into the private chat, where
    those who have not answered are nudged (a deep-link button)."""
    lines = [
        _header("⏰", t(language, "Meeting reminder"), payload, language),
        _when_line(payload, language, late),
    ]
    place = _place_line(payload, language)
    if place:
        lines.append(place)
    text = with_late_note("\n".join(lines), language, late)
    body_id = payload.get("body_id")
    button = (
        links.start_button(links.body_payload(body_id), language)
        if isinstance(body_id, int)
        else None
    )
    if button is None:
        return [text]
    text += "\n\n" + escape(
        t(
            language,
            "Answer the kallelse with its buttons. In a private chat with me you get your own reminders and can answer there.",
        )
    )
    return [Text(text, keyboard=((button,),))]


def render_nudge(payload: dict[str, Any], language: str, late: bool) -> list[Part | str]:
    """The private nudge to a member who has not answered the kallelse: they answer right here
    (the RSVP buttons), or open the kallelse in the group."""
    lines = [
        _header("📩", t(language, "Will you come?"), payload, language),
        _when_line(payload, language, late),
    ]
    place = _place_line(payload, language)
    if place:
        lines.append(place)
    lines.append(
        escape(
            t(language, "You have not answered the kallelse yet. Answer with the buttons below.")
        )
    )
    text = with_late_note("\n".join(lines), language, late)
    meeting_id = payload.get("meeting_id")
    rows: list[tuple[Button, ...]] = []
    if isinstance(meeting_id, int):
        rows.append(rsvp_row(meeting_id, language))
    link = kallelse_link(payload)
    if link:
        rows.append((Button(t(language, "Open the kallelse"), url=link),))
    return [Text(text, keyboard=tuple(rows) or None)]


def register_renderers() -> None:
    register(KIND_BEFORE, render_before)
    register(KIND_NUDGE, render_nudge)


register_renderers()
