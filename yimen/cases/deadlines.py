"""Case deadlines (办理时限), as pure functions of the start date and the calendar.

General matters are due 7 working days after the assignment slip, complex ones 15,
especially complex ones 30; a leader case (领导包案) is due one calendar month after it.
"""

import calendar as _months
from datetime import date

from yimen.workdays.calendar import Deadline, WorkCalendar, add_working_days, working_days_between

from .models import Complexity

WORKING_DAYS = {
    Complexity.GENERAL: 7,
    Complexity.COMPLEX: 15,
    Complexity.VERY_COMPLEX: 30,
}


def add_one_month(day: date) -> date:
    """The same day next month, or that month's last day (Jan 31 → Feb 28/29)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, _months.monthrange(year, month)[1]))


def due_date(complexity: str, start: date, calendar: WorkCalendar) -> Deadline:
    if complexity == Complexity.LEADER:
        return Deadline(add_one_month(start), provisional=False)
    return add_working_days(start, WORKING_DAYS[Complexity(complexity)], calendar)


def working_days_left(deadline: date, today: date, calendar: WorkCalendar) -> int:
    """Working days from today to the deadline: 0 when due today, negative when overdue."""
    return working_days_between(today, deadline, calendar)


def is_overdue(deadline: date | None, today: date) -> bool:
    return deadline is not None and today > deadline
