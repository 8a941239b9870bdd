"""The duty roster's rules: which shift a moment falls in, who is on duty, where cover is missing.

The day shift runs from ``YIMEN_DUTY_DAY_STARTS`` to ``YIMEN_DUTY_NIGHT_STARTS`` (08:00 and
20:00 by default, local time); the night shift from then to the next morning's start, and
belongs to the day it began. A place is covered by its own roster and by those of the
nodes above it (the street's duty officer answers for its communities).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import DutyShift, Jurisdiction, Shift, User
from .scoping import path_and_ancestors


def _clock(value: str) -> time:
    hours, minutes = (int(part) for part in value.split(":"))
    return time(hours, minutes)


def shift_at(moment: datetime) -> tuple[date, str]:
    """The (day, shift) a moment falls in."""
    local = timezone.localtime(moment)
    day_starts = _clock(settings.YIMEN_DUTY_DAY_STARTS)
    night_starts = _clock(settings.YIMEN_DUTY_NIGHT_STARTS)
    if local.time() < day_starts:
        return local.date() - timedelta(days=1), Shift.NIGHT
    if local.time() < night_starts:
        return local.date(), Shift.DAY
    return local.date(), Shift.NIGHT


def on_duty(place: Jurisdiction, moment: datetime | None = None) -> QuerySet[User]:
    """Active staff on duty at ``moment`` (now) at the place or any node above it."""
    day, shift = shift_at(moment or timezone.now())
    shifts = DutyShift.objects.filter(
        day=day, shift=shift, jurisdiction__path__in=path_and_ancestors(place.path)
    )
    return User.objects.filter(is_active=True, pk__in=shifts.values("user_id"))


@dataclass(frozen=True)
class Gap:
    day: date
    shift: str | None  # None: the day has no leader on duty
    place: Jurisdiction


def gaps(place: Jurisdiction, start: date, days: int) -> list[Gap]:
    """Shifts with nobody on duty, and days with no leader on duty, at this place."""
    rows = DutyShift.objects.filter(
        jurisdiction=place, day__gte=start, day__lt=start + timedelta(days=days)
    ).values_list("day", "shift", "is_leader")
    staffed = {(day, shift) for day, shift, _leader in rows}
    led = {day for day, _shift, leader in rows if leader}
    found = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        found += [Gap(day, s, place) for s in Shift.values if (day, s) not in staffed]
        if day not in led:
            found.append(Gap(day, None, place))
    return found


def urgent_recipients(place: Jurisdiction, *, exclude: Any = None) -> QuerySet[User]:
    """Who an urgent matter or incident reaches at once: the roster, and the directors.

    The staff on duty now at the place or above it, and the directors above it; when
    nobody is rostered for this moment, the responsible leaders above it instead, so an
    urgent matter never reaches no one.
    """
    above = User.objects.filter(
        is_active=True, jurisdiction__path__in=path_and_ancestors(place.path)
    )
    duty = on_duty(place)
    people = above.filter(role="director") | duty
    if not duty.exists():
        people = people | above.filter(role="leader")
    if exclude is not None:
        people = people.exclude(pk=exclude)
    return people
