"""Where a deadline stands today: overdue, due today, approaching — one rule for all.

The sweep, the supervisor's desk and its tiles all ask this module, so a case the desk
counts as "approaching" is exactly one the sweep reminds about. "Approaching" is counted in
working days: the window ends on the last day that still leaves at most N working days, so
across a weekend or the National Day holiday it spans more calendar days.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from yimen.workdays.calendar import WorkCalendar, add_working_days
from yimen.workdays.services import load_calendar

from .models import AlertKind


@dataclass(frozen=True)
class Window:
    today: date
    approaching_until: date  # a deadline after today and up to this day is approaching

    def kind_of(self, deadline: date | None) -> str | None:
        if deadline is None or deadline > self.approaching_until:
            return None
        if deadline < self.today:
            return AlertKind.OVERDUE
        if deadline == self.today:
            return AlertKind.DUE
        return AlertKind.APPROACHING

    def q(self, kind: str, field: str = "deadline") -> Q:
        """The condition on a deadline column for one kind."""
        return {
            AlertKind.OVERDUE: Q(**{f"{field}__lt": self.today}),
            AlertKind.DUE: Q(**{field: self.today}),
            AlertKind.APPROACHING: Q(
                **{f"{field}__gt": self.today, f"{field}__lte": self.approaching_until}
            ),
        }[AlertKind(kind)]


def window(today: date, calendar: WorkCalendar, days: int) -> Window:
    """The window for ``days`` working days of notice (0 or less: no "approaching" at all).

    The last approaching day is the day before the (days + 1)-th working day after today:
    on Wednesday 2026-09-30 with 2 days' notice that is 2026-10-09, past the holiday.
    """
    if days <= 0:
        return Window(today, today)
    next_after = add_working_days(today, days + 1, calendar).date
    return Window(today, next_after - timedelta(days=1))


def current_window(today: date | None = None, days: int | None = None) -> Window:
    """The window for today (or the day given) from the calendar table and the setting."""
    today = today or timezone.localdate()
    days = settings.YIMEN_REMIND_WORKING_DAYS_BEFORE if days is None else days
    # The longest holiday plus 2 days a working day is far less than this span.
    calendar = load_calendar(today, today + timedelta(days=3 * max(days, 0) + 30))
    return window(today, calendar, days)
