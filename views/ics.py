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

__all__ = ["PRODID", "meeting_event", "meeting_ics", "published_calendar"]

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
    cal = _calendar(method)
    event = meeting_event(
        uid,
        sequence,
        start,
        end,
        tz,
        summary,
        description,
        location,
        cancelled=method == "CANCEL",
        stamp=stamp or start,
    )
    cal.add_component(event)
    _add_timezones(cal, start, end)
    return cal.to_ical()


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _add_timezones(cal: Calendar, start: datetime, end: datetime) -> None:
    # Only the transitions around the meetings: a small VTIMEZONE that still covers DST.
    first = date(start.year - 1, 1, 1)
    last = max(date(end.year + 2, 1, 1), (end + timedelta(days=1)).date())
    cal.add_missing_timezones(first_date=first, last_date=last)


def meeting_event(
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    summary: str,
    description: str,
    location: str | None,
    *,
    cancelled: bool,
    stamp: datetime,
    modified: datetime | None = None,
    transparent: bool = False,
) -> Event:
    """One meeting as a VEVENT: the same UID and SEQUENCE in the invitation and in the feed."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if end <= start:
        raise ValueError("end must be after start")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    if modified is not None:
        event.add("last-modified", modified.astimezone(UTC))
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", end.astimezone(tz))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if transparent else "OPAQUE")
    return event


def published_calendar(
    name: str, zone: str, events: list[tuple[Event, datetime, datetime]], refresh: timedelta
) -> bytes:
    """A subscription feed (METHOD:PUBLISH, RFC 5545/5546): `events` with their start and end."""
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone)
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", refresh)
    for event, _start, _end in events:
        cal.add_component(event)
    if events:
        _add_timezones(cal, min(e[1] for e in events), max(e[2] for e in events))
    return bytes(cal.to_ical())
