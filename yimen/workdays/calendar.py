"""Working days under the State Council holiday schedule, as pure functions.

Deadlines in Yimen are counted in working days (工作日). A working day is Monday to Friday
unless the schedule makes it a holiday, plus the weekend days the schedule makes working
days (调休). Years whose schedule is not loaded are counted weekends-only and the result
is marked *provisional*, so nobody mistakes a guess for a published date.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkCalendar:
    special_days: Mapping[date, bool] = field(default_factory=dict)  # date → is working
    published_years: frozenset[int] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.special_days:
            return self.special_days[day]
        return day.weekday() < 5

    def is_published(self, year: int) -> bool:
        return year in self.published_years


@dataclass(frozen=True)
class Deadline:
    date: date
    provisional: bool  # counted across a year with no published schedule


def add_working_days(start: date, days: int, calendar: WorkCalendar) -> Deadline:
    """The date ``days`` working days after ``start``, counting from the next day.

    The start day itself never counts, whether or not it is a working day (a slip issued on
    a Friday for 1 working day is due on Monday).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day, remaining, provisional = start, days, False
    while remaining:
        day += timedelta(days=1)
        provisional = provisional or not calendar.is_published(day.year)
        if calendar.is_working_day(day):
            remaining -= 1
    return Deadline(day, provisional)


def working_days_between(start: date, end: date, calendar: WorkCalendar) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    if end < start:
        return -working_days_between(end, start, calendar)
    # Counted, not walked: a case stalled for a year asked for its days overdue on every
    # page that lists it (bench/README, "Scale"). Whole weeks hold five weekdays each; the
    # schedule's exceptions in the span then move the count by one each.
    weeks, rest = divmod((end - start).days, 7)
    tail = start + timedelta(days=7 * weeks)
    count = 5 * weeks + sum((tail + timedelta(days=n)).weekday() < 5 for n in range(1, rest + 1))
    for day, working in calendar.special_days.items():
        if start < day <= end and working != (day.weekday() < 5):
            count += 1 if working else -1
    return count


def missing_years(today: date, calendar: WorkCalendar, warn_from_month: int = 10) -> list[int]:
    """Years an administrator should load now: this year, and from ``warn_from_month`` the next."""
    wanted = [today.year] + ([today.year + 1] if today.month >= warn_from_month else [])
    return [year for year in wanted if not calendar.is_published(year)]
