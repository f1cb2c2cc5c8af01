"""iCalendar invitations for meetings (RFC 5545 / iTIP), built with the `icalendar` library.

One UID per meeting for its whole life; SEQUENCE is raised by the caller on every change, so
calendar clients replace the old event instead of adding a second one. An invitation is
`METHOD:PUBLISH` (a file people import into Outlook, Google or Apple calendars; a cancelled
meeting is the same event with STATUS:CANCELLED) unless the partnership file names an organizer:
then it is `METHOD:REQUEST` (or `CANCEL`) with that ORGANIZER, as RFC 5546 requires. Every file is
parsed back with `icalendar` before it is sent (`validated`). Times are written in the
partnership's zone with its VTIMEZONE, so clients show the right wall time across DST changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

# icalendar is imported where a file is built, not when the bot starts.
if TYPE_CHECKING:
    from icalendar import Calendar, Event

__all__ = ["PRODID", "Organizer", "meeting_event", "meeting_ics", "published_calendar", "validated"]

PRODID = "-//IOP governance bot//Meetings//SV"
Method = Literal["PUBLISH", "REQUEST", "CANCEL"]


@dataclass(frozen=True)
class Organizer:
    email: str
    name: str | None = None


def meeting_ics(
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    summary: str,
    description: str,
    location: str | None,
    method: Method = "PUBLISH",
    *,
    stamp: datetime | None = None,
    cancelled: bool | None = None,
    organizer: Organizer | None = None,
) -> bytes:
    """One VEVENT in a VCALENDAR with METHOD; `start`/`end` are aware (any zone).

    `stamp` is DTSTAMP (when this version was produced); it defaults to the start so that the
    output is reproducible, callers pass their clock. REQUEST and CANCEL need an `organizer`;
    a PUBLISH of a `cancelled` meeting carries STATUS:CANCELLED.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if end <= start:
        raise ValueError("end must be after start")
    if method not in ("PUBLISH", "REQUEST", "CANCEL"):
        raise ValueError(f"unsupported method {method!r}")
    if method != "PUBLISH" and organizer is None:
        raise ValueError(f"METHOD:{method} needs an ORGANIZER (RFC 5546)")
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
        cancelled=method == "CANCEL" if cancelled is None else cancelled,
        stamp=stamp or start,
        organizer=organizer,
    )
    cal.add_component(event)
    _add_timezones(cal, start, end)
    return validated(cal.to_ical(), method=method, uid=uid, sequence=sequence)


def validated(data: bytes, *, method: str, uid: str, sequence: int) -> bytes:
    """`data` unchanged once `icalendar` reads it back as one VEVENT with this METHOD, UID and
    SEQUENCE, a DTSTART before its DTEND, and an ORGANIZER where the method needs one."""
    from icalendar import Calendar

    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    problems = []
    if str(cal.get("METHOD")) != method:
        problems.append("METHOD")
    if len(events) != 1:
        problems.append("one VEVENT")
    else:
        event = events[0]
        if str(event.get("UID")) != uid or int(event.get("SEQUENCE", -1)) != sequence:
            problems.append("UID/SEQUENCE")
        if event.decoded("DTSTART") >= event.decoded("DTEND"):
            problems.append("DTSTART/DTEND")
        if method != "PUBLISH" and not event.get("ORGANIZER"):
            problems.append("ORGANIZER")
    if problems:
        raise ValueError(f"invalid invitation: {', '.join(problems)}")
    return data


def _calendar(method: str) -> Calendar:
    from icalendar import Calendar

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
    organizer: Organizer | None = None,
) -> Event:
    """One meeting as a VEVENT: the same UID and SEQUENCE in the invitation and in the feed."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if end <= start:
        raise ValueError("end must be after start")
    from icalendar import Event, vCalAddress

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
    if organizer is not None:
        parameters = {"CN": organizer.name} if organizer.name else {}
        event.add("organizer", vCalAddress(f"mailto:{organizer.email}"), parameters=parameters)
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
