"""Reading the calendar from the database, and the administrator's changes to it."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.audit.services import diff, record, snapshot

from .calendar import (
    Deadline,
    WorkCalendar,
    add_working_days,
    missing_years,
    working_days_between,
)
from .models import CalendarYear, Source, SpecialDay
from .sources import package_special_days, package_years

# Sent after a year's schedule is loaded or changed, with ``year``: whatever stored a
# provisional deadline in that year recomputes it.
schedule_changed = Signal()

# Deadlines run at most a few months ahead; this margin keeps one query enough.
_WINDOW = timedelta(days=400)

DAY_FIELDS = ["date", "is_working", "name", "source", "note"]


def load_calendar(start: date, end: date | None = None) -> WorkCalendar:
    """The calendar for the span a computation may touch, in two small indexed queries."""
    end = end or start + _WINDOW
    special = dict(
        SpecialDay.objects.filter(date__range=(start, end)).values_list("date", "is_working")
    )
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return WorkCalendar(special, years)


def deadline_after(start: date, days: int) -> Deadline:
    """``days`` working days after ``start``, from the calendar in the database.

    The span loaded grows with ``days`` (a working day is at most two calendar days on
    average, plus the longest holiday), so a long count never runs past the loaded days.
    """
    end = start + max(_WINDOW, timedelta(days=2 * days + 60))
    return add_working_days(start, days, load_calendar(start, end))


def provisional_years(start: date, end: date) -> list[int]:
    """The years from ``start`` to ``end`` with no published schedule, to explain a guess."""
    published = set(
        CalendarYear.objects.filter(year__range=(start.year, end.year)).values_list(
            "year", flat=True
        )
    )
    return [year for year in range(start.year, end.year + 1) if year not in published]


def is_working_day(day: date) -> bool:
    return load_calendar(day, day).is_working_day(day)


@dataclass(frozen=True)
class YearSummary:
    """What the calendar page shows about one year."""

    year: int
    published: CalendarYear | None  # None: not published, deadlines in it are provisional
    days: list[SpecialDay]
    in_package: bool  # the installed package has the year, so it can be loaded in one click
    working_days: int


def year_summary(year: int) -> YearSummary:
    """The year's status, its special days and its number of working days."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    days = list(SpecialDay.objects.filter(date__range=(first, last)))
    published = CalendarYear.objects.filter(year=year).first()
    calendar = WorkCalendar(
        {d.date: d.is_working for d in days}, frozenset([year] if published else [])
    )
    return YearSummary(
        year=year,
        published=published,
        days=days,
        in_package=year in package_years(),
        working_days=working_days_between(first - timedelta(days=1), last, calendar),
    )


def calendar_warnings(today: date | None = None) -> list[int]:
    """Years whose schedule is missing and should be loaded now (shown on the admin home)."""
    today = today or timezone.localdate()
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return missing_years(today, WorkCalendar({}, years), settings.YIMEN_CALENDAR_WARN_FROM_MONTH)


@transaction.atomic
def load_year_from_package(year: int, *, actor: Any = None) -> int:
    """Load one published year from the package; local changes are kept over it.

    Raises ``YearNotPublished`` when the package does not have the year.
    """
    days = package_special_days(year)
    kept = set(
        SpecialDay.objects.filter(date__year=year, source=Source.LOCAL).values_list(
            "date", flat=True
        )
    )
    SpecialDay.objects.filter(date__year=year).exclude(source=Source.LOCAL).delete()
    SpecialDay.objects.bulk_create(
        SpecialDay(date=d, is_working=w, name=n, source=Source.PACKAGE)
        for d, w, n in days
        if d not in kept
    )
    CalendarYear.objects.update_or_create(year=year, defaults={"source": Source.PACKAGE})
    record(
        "workdays.year.loaded",
        actor=actor,
        object_type="workdays.calendaryear",
        object_id=str(year),
        object_repr=str(year),
        changes={
            "source": Source.PACKAGE,
            "special_days": len(days),
            # An administrator's day overrides the package's; name them so the log shows it.
            "kept_admin_days": sorted(d for d, _w, _n in days if d in kept),
        },
    )
    transaction.on_commit(lambda: schedule_changed.send(sender=CalendarYear, year=year))
    return len(days)


_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(休|班|off|work)\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class ScheduleLine:
    date: date
    is_working: bool
    name: str


def parse_schedule(text: str, year: int) -> list[ScheduleLine]:
    """Parse pasted lines ``2027-01-01 休 元旦`` / ``2027-02-07 班 春节调休``.

    Every bad line is reported with its number; nothing is returned unless all are good.
    """
    lines, errors, seen = [], [], set()
    for number, raw in enumerate(text.splitlines(), start=1):
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        match = _LINE.match(raw)
        try:
            day = date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            day = None
        if day is None:
            errors.append(
                _('Line %(n)d: expected "YYYY-MM-DD 休|班 name", got "%(text)s".')
                % {"n": number, "text": raw}
            )
            continue
        if day.year != year:
            errors.append(
                _("Line %(n)d: %(date)s is not in %(year)d.")
                % {"n": number, "date": day, "year": year}
            )
            continue
        if day in seen:
            errors.append(_("Line %(n)d: %(date)s is listed twice.") % {"n": number, "date": day})
            continue
        seen.add(day)
        working = match.group(2).lower() in {"班", "work"}
        lines.append(ScheduleLine(day, working, match.group(3).strip()[:50]))
    if errors:
        raise ValidationError(errors)
    if not lines:
        raise ValidationError(_("Enter at least one holiday or working day."))
    return lines


@transaction.atomic
def publish_year(year: int, lines: list[ScheduleLine], *, actor: Any) -> None:
    """Load a newly published year by hand (before the package has it).

    Replaces the year's schedule; local changes stay, except on a date the schedule names.
    """
    dates = [x.date for x in lines]
    SpecialDay.objects.filter(date__year=year).exclude(
        Q(source=Source.LOCAL) & ~Q(date__in=dates)
    ).delete()
    SpecialDay.objects.bulk_create(
        SpecialDay(date=x.date, is_working=x.is_working, name=x.name, source=Source.ADMIN)
        for x in lines
    )
    CalendarYear.objects.update_or_create(year=year, defaults={"source": Source.ADMIN})
    record(
        "workdays.year.published",
        actor=actor,
        object_type="workdays.calendaryear",
        object_id=str(year),
        object_repr=str(year),
        changes={
            "source": Source.ADMIN,
            "days": [[x.date, x.is_working, x.name] for x in lines],
        },
    )
    transaction.on_commit(lambda: schedule_changed.send(sender=CalendarYear, year=year))


@transaction.atomic
def set_special_day(
    day: date, *, is_working: bool, name: str, note: str = "", actor: Any
) -> SpecialDay:
    """Add or change one day, e.g. a local holiday; the change is audited."""
    existing = SpecialDay.objects.select_for_update().filter(date=day).first()
    before = snapshot(existing, DAY_FIELDS) if existing else {}
    obj = existing or SpecialDay(date=day)
    obj.is_working, obj.name, obj.note, obj.source = is_working, name, note, Source.LOCAL
    obj.save()
    action = "workdays.day.updated" if existing else "workdays.day.created"
    record(action, obj, actor=actor, changes=diff(before, snapshot(obj, DAY_FIELDS)))
    transaction.on_commit(lambda: schedule_changed.send(sender=SpecialDay, year=day.year))
    return obj


@transaction.atomic
def remove_special_day(day: SpecialDay, *, actor: Any) -> None:
    before = snapshot(day, DAY_FIELDS)
    record("workdays.day.deleted", day, actor=actor, changes=diff(before, {}))
    day.delete()
    year = day.date.year
    transaction.on_commit(lambda: schedule_changed.send(sender=SpecialDay, year=year))
