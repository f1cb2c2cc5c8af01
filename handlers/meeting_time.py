"""Reading "when, how long, where" after /kallelse and /flytta, and the buttons that answer an
ambiguous time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Message

from governance.timeparse import Ambiguous, Invalid, parse_when_prefix
from handlers.dates import date_error_text, day_first
from i18n import N_
from services.errors import Refusal

# "14:00-16:00": the end joins the rest ("-16:00"), which the length reader understands.
_RANGE = re.compile(r"(\d{1,2}[:.]\d{2})\s*[-–]\s*(\d{1,2}[:.]\d{2})")
_END = re.compile(
    r"^(?:[-–]|till|to|until)\s*(?:kl\.?\s*)?(\d{1,2})(?:[:.](\d{2}))?(?=\s|$)", re.IGNORECASE
)
_MINUTES = re.compile(r"^(\d{1,3})\s*(?:min|minuter|minutes)(?=\s|$)", re.IGNORECASE)
_HOURS = re.compile(
    r"^(\d{1,2}(?:[.,]\d)?)\s*(?:h|tim|timme|timmar|hour|hours)(?=\s|$)", re.IGNORECASE
)
MIN_LENGTH, MAX_LENGTH = timedelta(minutes=15), timedelta(hours=12)


@dataclass(frozen=True)
class Length:
    """A length written after the time: minutes, or an end time on the same day."""

    minutes: int | None = None
    until: tuple[int, int] | None = None


@dataclass(frozen=True)
class When:
    when: datetime | list[datetime]  # the instant, or the readings to ask about (UTC)
    length: Length | None
    place: str


NOTHING = When([], None, "")


def _split_length(rest: str) -> tuple[Length | None, str]:
    if match := _END.match(rest):
        until = (int(match.group(1)), int(match.group(2) or 0))
        return Length(until=until), rest[match.end() :].strip()
    if match := _MINUTES.match(rest):
        return Length(minutes=int(match.group(1))), rest[match.end() :].strip()
    if match := _HOURS.match(rest):
        hours = float(match.group(1).replace(",", "."))
        return Length(minutes=round(hours * 60)), rest[match.end() :].strip()
    return None, rest


def duration(start: datetime, length: Length | None, tz: ZoneInfo) -> timedelta | None:
    """The meeting's length (None: the body's default); refused outside 15 min – 12 h."""
    if length is None:
        return None
    if length.minutes is not None:
        span = timedelta(minutes=length.minutes)
    else:
        assert length.until is not None
        hour, minute = length.until
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise Refusal(date_error_text("invalid_time"))
        local = start.astimezone(tz)
        end = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
        # Subtract in UTC: the same ZoneInfo would subtract wall times across a DST change.
        span = end.astimezone(UTC) - start.astimezone(UTC)
    if not MIN_LENGTH <= span <= MAX_LENGTH:
        raise Refusal(
            N_("A meeting lasts from 15 minutes to 12 hours. Check the end time or the length.")
        )
    return span


def parse(text: str, tz: ZoneInfo, now: datetime) -> When:
    """/kallelse and /flytta: when, then optionally a length or end time, then the place."""
    text = _RANGE.sub(r"\1 -\2", text, count=1)
    result, rest = parse_when_prefix(text, now=now.astimezone(tz), tz=tz, day_first=day_first())
    if isinstance(result, Invalid):
        raise Refusal(date_error_text(result.code))
    length, place = _split_length(rest)
    if isinstance(result, Ambiguous):
        return When([c.astimezone(UTC) for c in result.candidates], length, place)
    return When(result.at.astimezone(UTC), length, place)


def original(question: Message | None, tz: ZoneInfo, now: datetime) -> When:
    """The command a "which time?" question answered (quoted by the question), for the length
    and place written after the time; empty if the original is gone."""
    command = question.reply_to_message if question else None
    text = (command.text or "") if command else ""
    parts = text.split(maxsplit=1)
    if len(parts) < 2 or not parts[0].startswith("/"):
        return NOTHING
    try:
        return parse(parts[1], tz, now)
    except Refusal:
        return NOTHING


def instant(raw: str) -> datetime:
    """The reading a button carries (unix time)."""
    return datetime.fromtimestamp(int(raw), UTC)
