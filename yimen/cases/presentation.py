"""What pages, exports and the API show about a case's deadline and its parties."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from yimen.workdays.calendar import WorkCalendar
from yimen.workdays.services import load_calendar

from .deadlines import is_overdue, working_days_left
from .models import Case, Party
from .privacy import mask_id_number, mask_phone
from .workflow import OPEN


@dataclass(frozen=True)
class TimeLeft:
    deadline: date | None
    working_days: int | None  # None when there is no running deadline
    overdue: bool
    provisional: bool


def time_left(case: Case, today: date, calendar: WorkCalendar) -> TimeLeft:
    running = case.deadline is not None and case.status in OPEN
    return TimeLeft(
        deadline=case.deadline,
        working_days=working_days_left(case.deadline, today, calendar) if running else None,
        overdue=running and is_overdue(case.deadline, today),
        provisional=case.deadline_provisional,
    )


def with_time_left(cases: Iterable[Case], today: date | None = None) -> list[Case]:
    """Set ``case.time_left`` on each case, reading the calendar once for the whole page."""
    cases = list(cases)
    today = today or timezone.localdate()
    deadlines = [c.deadline for c in cases if c.deadline]
    start = min([today, *deadlines])
    end = max([today, *deadlines])
    calendar = load_calendar(start, end)
    for case in cases:
        case.time_left = time_left(case, today, calendar)
    return cases


def masked_party(party: Party) -> dict[str, str]:
    """A party as lists show it: name and role, phone and ID number masked."""
    return {
        "name": party.name,
        "role": party.role,
        "role_label": party.get_role_display(),
        "phone": mask_phone(party.phone),
        "id_number": mask_id_number(party.id_number),
    }
