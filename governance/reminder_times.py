"""From a due date (or a meeting's instant) to the UTC instants reminders go out, DST-safe.

Reminders are set in local wall time in the partnership's zone and stored in UTC. The two
problem days of a zone with daylight saving time follow one rule, so that a reminder is never
skipped and never sent twice:

* a local time that does not exist (02:30 on the spring-forward day in Stockholm) is moved to
  the first instant after the gap (03:00 local on that day);
* a local time that happens twice (02:30 on the fall-back day) is the FIRST occurrence
  (``fold=0``).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["OVERDUE", "before", "lead_label", "local_instant", "reminder_instants"]

OVERDUE = "overdue"
_DAY = timedelta(days=1)


def lead_label(lead_days: int) -> str:
    """ISO 8601 duration of a lead: 30 -> "P30D", 0 (the due day itself) -> "P0D"."""
    return f"P{lead_days}D"


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `day` in `tz` (gap: first instant after it; fold:
    first occurrence). Any tzinfo or fold on `at` is ignored."""
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz, fold=0)
    if _wall(first.astimezone(UTC), tz) == naive:
        return first.astimezone(UTC)
    return _gap_end(naive, tz)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def _gap_end(naive: datetime, tz: ZoneInfo) -> datetime:
    """The transition instant that skips over `naive`: the first instant whose wall time is
    after it. PEP 495: inside a gap fold=0 reads `naive` with the offset before the transition,
    fold=1 with the offset after it, so the transition lies between the two readings."""
    readings = [naive.replace(tzinfo=tz, fold=f).timestamp() for f in (0, 1)]
    # Search whole seconds (transitions fall on them): wall(low) <= naive < wall(high).
    low, high = math.floor(min(readings)), math.ceil(max(readings))
    while high - low > 1:
        mid = (low + high) // 2
        if _wall(datetime.fromtimestamp(mid, UTC), tz) > naive:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)


def reminder_instants(
    due: date,
    lead_days: tuple[int, ...],
    *,
    tz: ZoneInfo,
    at: time = time(9, 0),
    overdue_once: bool = True,
) -> list[tuple[str, datetime]]:
    """(label, UTC instant) for each lead day before `due` ("P30D" ... "P0D") and, when
    `overdue_once`, one "overdue" on the day after; sorted by instant, lead days deduplicated.

    Instants in the past are returned too: whether a late one is still sent is the caller's
    decision (grace period), not this function's.
    """
    if any(lead < 0 for lead in lead_days):
        raise ValueError("lead days must not be negative")
    out = [
        (lead_label(lead), local_instant(due - timedelta(days=lead), at, tz))
        for lead in sorted(set(lead_days), reverse=True)
    ]
    if overdue_once:
        out.append((OVERDUE, local_instant(due + _DAY, at, tz)))
    return out


def before(instant: datetime, delta: timedelta, *, tz: ZoneInfo) -> datetime:
    """The UTC instant `delta` before `instant` (a meeting's start), for meeting reminders.

    Choice: a whole number of days ("7d", "1d") means the same local wall time on the earlier
    calendar day, as people read "the day before at 14:00" (across a DST change that is 23 or
    25 hours, not 24); anything else ("1h", "30m", "36h") is exact elapsed time. The wall time
    on the earlier day follows `local_instant` (gap: after it; repeated: first occurrence).
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    if delta < timedelta(0):
        raise ValueError("delta must not be negative")
    if delta and delta % _DAY == timedelta(0):
        local = instant.astimezone(tz)
        return local_instant(local.date() - timedelta(days=delta.days), local.time(), tz)
    return (instant - delta).astimezone(UTC)
