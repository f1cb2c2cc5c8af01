"""Calendar arithmetic with explicit month-end rules."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later, clamped to the month's last day.

    31 January + 1 month is 28/29 February; 31 March + 2 months is 31 May. The clamp never
    carries into the following month, so a monthly rule anchored on the 31st stays in its month.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
