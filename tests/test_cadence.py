"""The cadence guard: window ends with explicit month-end rules, guard days, called meetings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.cadence import (
    cadence_window,
    effective_interval,
    guard_reminder_days,
    needs_reminder,
)
from governance.partnership_schema import Cadence

START = date(2025, 5, 1)
MONTHLY = Cadence(max_interval_months=1)
BIMONTHLY = Cadence(max_interval_months=2)


def window(rule: Cadence, last: date | None, override: int | None = None) -> date | None:
    return cadence_window(rule, last_meeting=last, agreement_start=START, override_months=override)


# RELIABILITY item 16: the month-end cases.
@pytest.mark.parametrize(
    ("rule", "last", "expected"),
    [
        (BIMONTHLY, date(2026, 3, 31), date(2026, 5, 31)),  # every second month from 31 March
        (BIMONTHLY, date(2025, 12, 31), date(2026, 2, 28)),  # across a year boundary
        (BIMONTHLY, date(2027, 12, 31), date(2028, 2, 29)),  # ... into a leap February
        (BIMONTHLY, date(2025, 11, 30), date(2026, 1, 30)),
        (MONTHLY, date(2026, 1, 31), date(2026, 2, 28)),  # monthly on the 31st
        (MONTHLY, date(2028, 1, 31), date(2028, 2, 29)),  # ... in a leap year
        (MONTHLY, date(2028, 2, 29), date(2028, 3, 29)),  # from 29 February
        (MONTHLY, date(2025, 12, 15), date(2026, 1, 15)),
    ],
)
def test_month_end_cases(rule: Cadence, last: date, expected: date) -> None:
    assert window(rule, last) == expected


def test_no_maximum_interval_means_no_window() -> None:
    assert window(Cadence(), date(2025, 6, 1)) is None


def test_first_window_runs_from_agreement_start() -> None:
    assert window(MONTHLY, None) == date(2025, 6, 1)
    # A preparatory meeting before the start does not pull the first window back.
    assert window(BIMONTHLY, date(2025, 4, 20)) == date(2025, 7, 1)


def test_override_applies_only_when_adjustable() -> None:
    adjustable = Cadence(max_interval_months=1, adjustable_by_decision=True)
    assert window(adjustable, date(2026, 1, 31), override=3) == date(2026, 4, 30)
    assert effective_interval(adjustable, 3) == 3
    # The agreement fixes 001's samverkansgrupp rule: a decision cannot loosen it.
    assert window(MONTHLY, date(2026, 1, 31), override=3) == date(2026, 2, 28)
    with pytest.raises(ValueError):
        window(adjustable, date(2026, 1, 31), override=0)


def test_guard_reminder_days() -> None:
    end = date(2025, 10, 20)
    assert guard_reminder_days(BIMONTHLY, end) == [date(2025, 9, 29), date(2025, 10, 10)]
    assert guard_reminder_days(BIMONTHLY, end, today=date(2025, 10, 1)) == [date(2025, 10, 10)]
    assert guard_reminder_days(BIMONTHLY, end, today=date(2025, 10, 10)) == [date(2025, 10, 10)]
    assert guard_reminder_days(BIMONTHLY, end, today=date(2025, 10, 11)) == []
    custom = Cadence(max_interval_months=1, guard_lead_days=(7, 0))
    assert guard_reminder_days(custom, end) == [date(2025, 10, 13), end]


def test_needs_reminder() -> None:
    end = date(2025, 10, 20)
    assert needs_reminder(end, None)
    assert not needs_reminder(end, date(2025, 10, 15))
    assert not needs_reminder(end, end)  # on the last day still keeps the rule
    assert needs_reminder(end, date(2025, 10, 21))  # too late: the chair must still act


@given(
    last=st.dates(min_value=date(2025, 5, 1), max_value=date(2040, 12, 31)),
    months=st.integers(min_value=1, max_value=12),
)
def test_window_is_within_the_interval(last: date, months: int) -> None:
    end = window(Cadence(max_interval_months=months), last)
    assert end is not None
    assert end > last
    # Never more than `months` calendar months, never carried into the month after.
    month_index = (end.year - last.year) * 12 + end.month - last.month
    assert month_index == months
    assert end.day == last.day or (end + timedelta(days=1)).day == 1
