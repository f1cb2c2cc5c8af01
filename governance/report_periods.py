"""Which half-year a verksamhetsrapport covers, and which year an annual compilation covers.

The half-years come from the partnership file (`[[reports.activity.periods]]`): November–April
and May–October for 001, July–December and January–June for 004. Keys are the deadline keys of
`governance.deadlines` ("activity_report:2025-11..2026-04", "annual_compilation:2025"), so a
report and its deadline are one thing.

Which report `/rapport` opens (PRODUCT §7): the last half-year that has ended and is not yet
compiled, else the current one. Only half-years overlapping the agreement count: after an
agreement has ended, the last half-year is the one that ended inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from governance.calendar import add_months, month_end
from governance.partnership_schema import PartnershipSpec, ReportPeriod

__all__ = [
    "HalfYear",
    "ReportYear",
    "annual_year_to_compile",
    "half_year_containing",
    "half_years_in",
    "period_from_key",
    "period_to_report",
    "previous_half_year",
    "report_year_containing",
]


@dataclass(frozen=True)
class HalfYear:
    start: date
    end: date
    due: date
    committee_month: int | None = None
    committee_year: int | None = None

    @property
    def key(self) -> str:
        return f"activity_report:{self.start:%Y-%m}..{self.end:%Y-%m}"

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and self.end >= first

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class ReportYear:
    """An operating year of the annual compilation (004) and the half-years inside it."""

    start: date
    end: date
    due: date
    halves: tuple[HalfYear, ...]

    @property
    def key(self) -> str:
        return f"annual_compilation:{self.end.year}"


def _make(spec: PartnershipSpec, period: ReportPeriod, year: int) -> HalfYear:
    first = date(year, period.start_month, 1)
    last_month = add_months(first, len(period.months) - 1)
    last = month_end(last_month.year, last_month.month)
    committee_year = None
    if period.committee_month is not None:
        # The first committee meeting after the period (as governance.deadlines reads it).
        committee_year = last.year if period.committee_month > last.month else last.year + 1
    return HalfYear(
        start=first,
        end=last,
        due=last + timedelta(days=spec.reports.activity.due_days_after_period_end),
        committee_month=period.committee_month,
        committee_year=committee_year,
    )


def _around(spec: PartnershipSpec, day: date) -> list[HalfYear]:
    found = [
        _make(spec, period, year)
        for year in (day.year - 2, day.year - 1, day.year, day.year + 1)
        for period in spec.reports.activity.periods
    ]
    return sorted(found, key=lambda p: p.start)


def half_year_containing(spec: PartnershipSpec, day: date) -> HalfYear:
    for period in _around(spec, day):
        if period.contains(day):
            return period
    raise AssertionError("the file's periods tile the year")  # pragma: no cover


def previous_half_year(spec: PartnershipSpec, period: HalfYear) -> HalfYear:
    return half_year_containing(spec, period.start - timedelta(days=1))


def period_from_key(spec: PartnershipSpec, key: str) -> HalfYear | None:
    """The half-year a deadline key names, or None if it is not one of the file's."""
    prefix = "activity_report:"
    if not key.startswith(prefix):
        return None
    try:
        first = date.fromisoformat(key[len(prefix) : len(prefix) + 7] + "-01")
    except ValueError:
        return None
    period = half_year_containing(spec, first)
    return period if period.key == key else None


def period_to_report(
    spec: PartnershipSpec,
    today: date,
    *,
    compiled: frozenset[str] | set[str],
    agreement_start: date,
    agreement_end: date,
) -> HalfYear | None:
    """The last half-year that has ended inside the agreement and is not compiled, else the
    current one if it lies inside the agreement; None when there is nothing to report."""
    current = half_year_containing(spec, today)
    ended = previous_half_year(spec, current)
    while ended.start > agreement_end:
        ended = previous_half_year(spec, ended)
    if ended.overlaps(agreement_start, agreement_end) and ended.key not in compiled:
        return ended
    if current.overlaps(agreement_start, agreement_end) and current.key not in compiled:
        return current
    return None


def half_years_in(spec: PartnershipSpec, first: date, last: date) -> tuple[HalfYear, ...]:
    """The half-years that end inside first..last, in order."""
    found: list[HalfYear] = []
    period = half_year_containing(spec, last)
    while period.end >= first:
        if period.end <= last:
            found.append(period)
        period = previous_half_year(spec, period)
    return tuple(reversed(found))


def _year_end(year_end: str, year: int) -> date:
    month, day = (int(part) for part in year_end.split("-"))
    return min(date(year, month, 1) + timedelta(days=day - 1), month_end(year, month))


def report_year_containing(spec: PartnershipSpec, day: date) -> ReportYear | None:
    rule = spec.reports.annual_compilation
    if rule is None:
        return None
    end = _year_end(rule.year_end, day.year)
    if end < day:
        end = _year_end(rule.year_end, day.year + 1)
    start = _year_end(rule.year_end, end.year - 1) + timedelta(days=1)
    return ReportYear(
        start=start,
        end=end,
        due=end + timedelta(days=rule.due_days_after_year_end),
        halves=half_years_in(spec, start, end),
    )


def annual_year_to_compile(
    spec: PartnershipSpec,
    today: date,
    *,
    compiled: frozenset[str] | set[str],
    agreement_start: date,
    agreement_end: date,
) -> ReportYear | None:
    """The last operating year that has ended inside the agreement and is not compiled."""
    current = report_year_containing(spec, today)
    if current is None:
        return None
    year = report_year_containing(spec, current.start - timedelta(days=1))
    while year is not None and year.start > agreement_end:
        year = report_year_containing(spec, year.start - timedelta(days=1))
    if year is None or year.end < agreement_start or year.key in compiled:
        return None
    return year
