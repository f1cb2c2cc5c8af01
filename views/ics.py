"""iCalendar invitations for meetings (RFC 5545 / iTIP), built with the `icalendar` library.

One UID per meeting for its whole life; SEQUENCE is raised by the caller on every change, so
calendar clients replace the old event instead of adding a second one. Times are written in the
partnership's zone with its VTIMEZONE, so clients show the right wall time across DST changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

__all__ = ["PRODID", "meeting_ics"]

PRODID = "-//IOP governance bot//Meetings//SV"
Method = Literal["REQUEST", "CANCEL"]


def meeting_ics(
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    summary: str,
    description: str,
    location: str | None,
    method: Method = "REQUEST",
    *,
    stamp: datetime | None = None,
) -> bytes:
    """One VEVENT in a VCALENDAR with METHOD; `start`/`end` are aware (any zone).

    `stamp` is DTSTAMP (when this version was produced); it defaults to the start so that the
    output is reproducible, callers pass their clock.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if end <= start:
        raise ValueError("end must be after start")
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported method {method!r}")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", (stamp or start).astimezone(UTC))
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", end.astimezone(tz))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    # Only the transitions around the meeting: a small VTIMEZONE that still covers DST.
    first = date(start.year - 1, 1, 1)
    last = max(date(end.year + 2, 1, 1), (end + timedelta(days=1)).date())
    cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
