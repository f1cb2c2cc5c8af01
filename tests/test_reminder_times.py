"""Reminder instants: local wall time in the partnership's zone, DST gaps and folds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.reminder_times import OVERDUE, before, local_instant, reminder_instants

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ZONES = [STOCKHOLM, ZoneInfo("America/New_York"), LORD_HOWE, ZoneInfo("UTC")]


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def exists(naive: datetime, tz: ZoneInfo) -> bool:
    return any(
        wall(naive.replace(tzinfo=tz, fold=fold).astimezone(UTC), tz) == naive for fold in (0, 1)
    )


# RELIABILITY item 15: a 02:30 Europe/Stockholm reminder on both DST days fires once each day.
@pytest.mark.parametrize(
    ("day", "expected_utc", "expected_local"),
    [
        # Fall back: 02:30 happens twice; the first occurrence (summer time, +02:00).
        (date(2025, 10, 26), datetime(2025, 10, 26, 0, 30, tzinfo=UTC), time(2, 30)),
        # Spring forward: 02:30 does not exist; the first instant after the gap, 03:00.
        (date(2025, 3, 30), datetime(2025, 3, 30, 1, 0, tzinfo=UTC), time(3, 0)),
    ],
)
def test_0230_stockholm_fires_once_on_dst_days(
    day: date, expected_utc: datetime, expected_local: time
) -> None:
    instants = reminder_instants(day, (0,), tz=STOCKHOLM, at=time(2, 30), overdue_once=False)
    assert instants == [("P0D", expected_utc)]
    assert instants[0][1].tzinfo is UTC
    assert instants[0][1].astimezone(STOCKHOLM).time() == expected_local
    # A daily 02:30 reminder around the change: exactly one instant per calendar day.
    days = [day + timedelta(days=i) for i in range(-3, 4)]
    series = [local_instant(d, time(2, 30), STOCKHOLM) for d in days]
    assert [s.astimezone(STOCKHOLM).date() for s in series] == days
    assert len(set(series)) == len(series) == 7
    assert series == sorted(series)


def test_nine_oclock_stays_nine_across_dst() -> None:
    for due in (date(2026, 4, 1), date(2026, 10, 28)):
        instants = reminder_instants(due, (30, 14, 7, 1, 0), tz=STOCKHOLM)
        assert [label for label, _ in instants] == ["P30D", "P14D", "P7D", "P1D", "P0D", OVERDUE]
        assert all(i.astimezone(STOCKHOLM).time() == time(9, 0) for _, i in instants)
        local_days = [i.astimezone(STOCKHOLM).date() for _, i in instants]
        assert local_days == [due - timedelta(days=n) for n in (30, 14, 7, 1, 0, -1)]
    # Winter +01:00, summer +02:00.
    assert local_instant(date(2026, 3, 28), time(9), STOCKHOLM).hour == 8
    assert local_instant(date(2026, 3, 29), time(9), STOCKHOLM).hour == 7


def test_reminder_instants_options() -> None:
    instants = reminder_instants(date(2026, 1, 15), (1, 7, 7, 1), tz=STOCKHOLM, overdue_once=False)
    assert [label for label, _ in instants] == ["P7D", "P1D"]
    assert reminder_instants(date(2026, 1, 15), (), tz=STOCKHOLM) == [
        (OVERDUE, datetime(2026, 1, 16, 8, 0, tzinfo=UTC))
    ]
    with pytest.raises(ValueError):
        reminder_instants(date(2026, 1, 15), (-1,), tz=STOCKHOLM)


def test_lord_howe_half_hour_dst() -> None:
    # 2025-10-05: 02:00 -> 02:30 (+10:30 -> +11:00).
    gap = local_instant(date(2025, 10, 5), time(2, 15), LORD_HOWE)
    assert wall(gap, LORD_HOWE) == datetime(2025, 10, 5, 2, 30)
    assert gap == datetime(2025, 10, 4, 15, 30, tzinfo=UTC)
    # 2025-04-06: 02:00 -> 01:30, so 01:45 happens twice; the first is at +11:00.
    fold = local_instant(date(2025, 4, 6), time(1, 45), LORD_HOWE)
    assert fold == datetime(2025, 4, 5, 14, 45, tzinfo=UTC)


def test_before_meeting() -> None:
    # Meeting on Monday 2026-03-30 14:00, the day after spring forward.
    meeting = local_instant(date(2026, 3, 30), time(14), STOCKHOLM)
    day_before = before(meeting, timedelta(days=1), tz=STOCKHOLM)
    assert wall(day_before, STOCKHOLM) == datetime(2026, 3, 29, 14, 0)
    assert meeting - day_before == timedelta(hours=24)
    week_before = before(meeting, timedelta(days=7), tz=STOCKHOLM)
    assert wall(week_before, STOCKHOLM) == datetime(2026, 3, 23, 14, 0)
    assert meeting - week_before == timedelta(days=7) - timedelta(hours=1)  # 23 h on the 29th
    hour_before = before(meeting, timedelta(hours=1), tz=STOCKHOLM)
    assert meeting - hour_before == timedelta(hours=1)
    assert hour_before.tzinfo is UTC
    # A meeting at 02:30 on the day after the change: "1 day before" lands in the gap.
    early = local_instant(date(2026, 3, 30), time(2, 30), STOCKHOLM)
    assert wall(before(early, timedelta(days=1), tz=STOCKHOLM), STOCKHOLM) == datetime(
        2026, 3, 29, 3, 0
    )
    # Fall back on 2026-10-25: the day before a 14:00 meeting that day is 25 hours earlier.
    autumn = local_instant(date(2026, 10, 25), time(14), STOCKHOLM)
    assert autumn - before(autumn, timedelta(days=1), tz=STOCKHOLM) == timedelta(hours=25)
    with pytest.raises(ValueError):
        before(datetime(2026, 1, 1, 12), timedelta(hours=1), tz=STOCKHOLM)
    with pytest.raises(ValueError):
        before(meeting, timedelta(hours=-1), tz=STOCKHOLM)


# --- properties ---------------------------------------------------------------------------

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2037, 12, 31))
zones = st.sampled_from(ZONES)
clock = st.times()


def _transitions(tz: ZoneInfo) -> list[datetime]:
    """UTC hours (1990-2037) at which the zone's offset changes, found by an hourly scan of the
    days whose offset differs from the day before."""
    out = []
    moment = datetime(1990, 1, 1, tzinfo=UTC)
    while moment.year < 2038:
        nxt = moment + timedelta(days=1)
        if moment.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            hour = moment
            while hour.astimezone(tz).utcoffset() == moment.astimezone(tz).utcoffset():
                hour += timedelta(minutes=15)
            out.append(hour)
        moment = nxt
    return out


TRANSITIONS = [(tz, t) for tz in ZONES for t in _transitions(tz)]


@st.composite
def near_transition(draw: st.DrawFn) -> tuple[date, time, ZoneInfo]:
    """A local wall time within a few hours of a DST change: gaps and folds get hit."""
    tz, moment = draw(st.sampled_from(TRANSITIONS))
    before_change = wall(moment - timedelta(seconds=1), tz) + timedelta(seconds=1)
    naive = before_change + timedelta(seconds=draw(st.integers(-3 * 3600, 3 * 3600)))
    return naive.date(), naive.time(), tz


def test_transitions_found() -> None:
    assert len(TRANSITIONS) > 200  # Stockholm, New York and Lord Howe each twice a year


@given(st.one_of(st.tuples(days, clock, zones), near_transition()))
def test_local_instant_keeps_wall_time_except_in_gap(case: tuple[date, time, ZoneInfo]) -> None:
    day, at, tz = case
    instant = local_instant(day, at, tz)
    assert instant.tzinfo is UTC
    naive = datetime.combine(day, at)
    shown = wall(instant, tz)
    if exists(naive, tz):
        assert shown == naive
        # A repeated time: the first occurrence of the readings that show it.
        readings = [naive.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
        assert instant == min(r for r in readings if wall(r, tz) == naive)
    else:
        # The first instant after the gap: just before it, the wall clock was before `at`.
        assert shown > naive
        assert wall(instant - timedelta(seconds=1), tz) < naive
        assert shown.date() == day


@given(
    case=st.one_of(st.tuples(days, clock, zones), near_transition()),
    gap=st.integers(min_value=1, max_value=400),
)
def test_instants_increase_with_days(case: tuple[date, time, ZoneInfo], gap: int) -> None:
    first, at, tz = case
    first -= timedelta(days=gap % 2)  # the change falls on either of two consecutive days
    second = first + timedelta(days=gap)
    a = local_instant(first, at, tz)
    b = local_instant(first + timedelta(days=1), at, tz)
    c = local_instant(second, at, tz)
    assert a < b <= c
    assert a.astimezone(tz).date() == first


@given(
    due=days,
    leads=st.lists(st.integers(min_value=0, max_value=120), max_size=6),
    at=clock,
    tz=zones,
    overdue=st.booleans(),
)
def test_reminder_instants_never_duplicate(
    due: date, leads: list[int], at: time, tz: ZoneInfo, overdue: bool
) -> None:
    instants = reminder_instants(due, tuple(leads), tz=tz, at=at, overdue_once=overdue)
    moments = [moment for _, moment in instants]
    assert moments == sorted(moments)
    assert len(set(moments)) == len(moments) == len(set(leads)) + int(overdue)
    labels = [label for label, _ in instants]
    assert len(set(labels)) == len(labels)


@given(
    day=days,
    at=clock,
    tz=zones,
    whole_days=st.integers(min_value=1, max_value=14),
    minutes=st.integers(min_value=1, max_value=3000),
)
def test_before(day: date, at: time, tz: ZoneInfo, whole_days: int, minutes: int) -> None:
    meeting = local_instant(day, at, tz)
    earlier = before(meeting, timedelta(days=whole_days), tz=tz)
    assert earlier < meeting
    local = meeting.astimezone(tz)
    assert earlier == local_instant(local.date() - timedelta(whole_days), local.time(), tz)
    delta = timedelta(minutes=minutes)
    if delta % timedelta(days=1):
        assert meeting - before(meeting, delta, tz=tz) == delta
