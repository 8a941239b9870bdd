"""When periodic reports (定期报告) fall due: pure functions of dates and the working-day calendar.

Two kinds of report, each over whole local days (``yimen.periods.Period``):

- the **information report** (信息报送) is filed twice a month. The one due on the 13th
  covers the 23rd of the previous month to the 12th; the one due on the 23rd covers the
  13th to the 22nd. Every day is covered by exactly one of them (continuous coverage), and
  each is due the day after its period ends;
- the **monthly report** (月报) covers the calendar month and is due on the
  ``YIMEN_MONTHLY_REPORT_DUE_DAY`` (the 5th) of the next month.

A due date that falls on a non-working day moves to the next working day (after the
National Day week, the 13th and the 5th stay; a 5 October moves to 8 October). The person
responsible is reminded ``days`` working days before the due date (``reminder_day``), so a
reminder never lands on a holiday. Any other period may be reported on demand; it has no
due date.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.periods import Period, month_of
from yimen.workdays.calendar import WorkCalendar

# The days of the month the information report is due on; its periods end the day before.
INFORMATION_DUE_DAYS = (13, 23)


class ReportKind(models.TextChoices):
    INFORMATION = "information", _("Information report (信息报送)")
    MONTHLY = "monthly", _("Monthly report (月报)")


@dataclass(frozen=True)
class Due:
    """One scheduled report: its period, when it is due and when its owner is reminded."""

    kind: str
    period: Period
    date: date
    remind_on: date


def _information_period(day: date) -> Period:
    first, second = INFORMATION_DUE_DAYS
    if first <= day.day < second:
        return Period(day.replace(day=first), day.replace(day=second - 1))
    if day.day >= second:
        following = month_of(day).end + timedelta(days=1)
        return Period(day.replace(day=second), following.replace(day=first - 1))
    previous = day.replace(day=1) - timedelta(days=1)
    return Period(previous.replace(day=second), day.replace(day=first - 1))


def period_of(kind: str, day: date) -> Period:
    """The scheduled period of ``kind`` that contains ``day``."""
    if kind == ReportKind.MONTHLY:
        return month_of(day)
    return _information_period(day)


def previous_period(kind: str, period: Period) -> Period:
    return period_of(kind, period.start - timedelta(days=1))


def last_ended(kind: str, today: date) -> Period:
    """The latest scheduled period over by ``today``: the one a report is written about now."""
    return previous_period(kind, period_of(kind, today))


def is_scheduled(kind: str, period: Period) -> bool:
    """Whether ``period`` is one of the kind's scheduled periods (and so has a due date)."""
    return period_of(kind, period.start) == period


def nominal_due_date(kind: str, period: Period, monthly_due_day: int) -> date:
    """The day the rules name, before moving off a non-working day.

    A monthly due day past the end of a short month is that month's last day.
    """
    if kind == ReportKind.MONTHLY:
        following = month_of(period.end + timedelta(days=1))
        return following.start.replace(day=min(monthly_due_day, following.end.day))
    return period.end + timedelta(days=1)


def next_working_day(day: date, calendar: WorkCalendar) -> date:
    """``day`` itself if it is a working day, otherwise the first working day after it."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def due_date(kind: str, period: Period, calendar: WorkCalendar, monthly_due_day: int) -> date:
    """When the report on a scheduled ``period`` is due, on a working day."""
    return next_working_day(nominal_due_date(kind, period, monthly_due_day), calendar)


def reminder_day(due_date: date, calendar: WorkCalendar, days: int) -> date:
    """The working day ``days`` working days before ``due_date`` (0 or less: the due date).

    Counted back over working days only, so an adjusted working Saturday (调休) counts and a
    holiday does not: for a report due Tuesday 2026-10-13 with 2 days, Monday 10-12 is one
    and Saturday 10-10 the second.
    """
    day, remaining = due_date, days
    while remaining > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return day


def dues_between(
    kind: str,
    first: date,
    last: date,
    calendar: WorkCalendar,
    *,
    monthly_due_day: int,
    remind_days: int,
) -> list[Due]:
    """The scheduled reports of ``kind`` due from ``first`` to ``last``, earliest first.

    A report is due after its period ends, at most a month and a holiday later, so the
    periods from two months before ``first`` are enough to find them all.
    """
    result = []
    period = period_of(kind, first - timedelta(days=62))
    while period.start <= last:
        due = due_date(kind, period, calendar, monthly_due_day)
        if first <= due <= last:
            result.append(Due(kind, period, due, reminder_day(due, calendar, remind_days)))
        period = period_of(kind, period.end + timedelta(days=1))
    return result
