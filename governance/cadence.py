"""The cadence guard: by when a body must meet next, and when to remind its chair.

A body's rule says the longest allowed gap between meetings in calendar months (001: the
samverkansgrupp at least monthly, the styrgrupp at least every second month; 004: monthly at
first, then what the styrgrupp decides). The window closes on the same day of the month that
many months after the last meeting (or after the agreement's start when there has been none),
clamped to the month's end: every second month from 31 March is 31 May, from 31 December it is
the end of February, monthly from 31 January is 28/29 February.
"""

from __future__ import annotations

from datetime import date, timedelta

from governance.calendar import add_months
from governance.partnership_schema import Cadence

__all__ = ["cadence_window", "effective_interval", "guard_reminder_days", "needs_reminder"]


def effective_interval(rule: Cadence, override_months: int | None) -> int | None:
    """Months allowed between meetings; a decided interval replaces the agreement's only when
    the rule is adjustable by decision (an override of a fixed rule is ignored, since a
    decision cannot loosen what the agreement fixes)."""
    if override_months is not None and override_months <= 0:
        raise ValueError("override_months must be positive")
    if override_months is not None and rule.adjustable_by_decision:
        return override_months
    return rule.max_interval_months


def cadence_window(
    rule: Cadence,
    *,
    last_meeting: date | None,
    agreement_start: date,
    override_months: int | None = None,
) -> date | None:
    """The last day by which the next meeting must be held; None without a maximum interval.

    The window runs from the last meeting, or from the agreement's start before the first one
    (a meeting held before the start, e.g. a preparatory one, does not shift the first window
    back past the start)."""
    months = effective_interval(rule, override_months)
    if months is None:
        return None
    anchor = agreement_start if last_meeting is None else max(last_meeting, agreement_start)
    return add_months(anchor, months)


def guard_reminder_days(
    rule: Cadence, window_end: date, *, today: date | None = None
) -> list[date]:
    """Days to remind the chair (window_end minus each guard lead day), earliest first; days
    before `today` are left out when `today` is given."""
    days = sorted({window_end - timedelta(days=lead) for lead in rule.guard_lead_days})
    if today is not None:
        days = [day for day in days if day >= today]
    return days


def needs_reminder(window_end: date, next_called_meeting: date | None) -> bool:
    """Whether the chair must still be reminded: no meeting is called on or before the window's
    last day (a meeting called for a later day does not keep the rule)."""
    return next_called_meeting is None or next_called_meeting > window_end
