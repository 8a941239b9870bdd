"""Who may do what at a monthly meeting, whom it may name, and when a decision is due.

Plain functions of the user, the meeting or task and the calendar, so the pages and the
services ask the same question and get the same answer.

- The meeting is planned and kept (agenda, minutes, attendance, decisions, "held") by a
  director, supervisor, leader or administrator placed at its node or above it.
- The chair is a staff member placed at the meeting's node or above it, so they see it;
  attendees, absentees and task owners are staff of the node's subtree.
- A task is completed by its owner only; a done task is reopened, with a reason, by the
  meeting's chair or a director over the meeting.
- A deadline is a number of working days counted from the meeting's day (the day itself
  does not count), or a date; either way not before today.
"""

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from yimen.org.models import Role, User
from yimen.org.permissions import has_role
from yimen.org.scoping import path_and_ancestors
from yimen.workdays.calendar import Deadline, WorkCalendar, add_working_days

from .models import Meeting, MeetingStatus, Task, TaskStatus

EDITOR_ROLES = (Role.DIRECTOR, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
# The longest span a decision may be given: a year of working days.
MAX_WORKING_DAYS = 250


def covers(user: Any, meeting: Meeting) -> bool:
    """The user is placed at the meeting's node or above it."""
    path = getattr(user, "visible_path", None) if user.is_authenticated else None
    return bool(path) and meeting.jurisdiction.path.startswith(path)


def may_plan(user: Any) -> bool:
    return has_role(user, *EDITOR_ROLES) and bool(user.visible_path)


def may_edit(user: Any, meeting: Meeting) -> bool:
    return has_role(user, *EDITOR_ROLES) and covers(user, meeting)


def may_edit_agenda(user: Any, meeting: Meeting) -> bool:
    """Once held, the agenda is the record of what was discussed."""
    return may_edit(user, meeting) and meeting.status == MeetingStatus.PLANNED


def may_complete(user: Any, task: Task) -> bool:
    return task.status == TaskStatus.OPEN and user.is_authenticated and user.pk == task.owner_id


def may_reopen(user: Any, task: Task) -> bool:
    if task.status != TaskStatus.DONE or not user.is_authenticated:
        return False
    meeting = task.meeting
    return user.pk == meeting.chair_id or (has_role(user, Role.DIRECTOR) and covers(user, meeting))


def _active() -> QuerySet[User]:
    return User.objects.filter(is_active=True).select_related("jurisdiction")


def chair_choices(path: str) -> QuerySet[User]:
    """Staff placed at the node with this path or above it."""
    return _active().filter(jurisdiction__path__in=path_and_ancestors(path))


def staff_choices(meeting: Meeting) -> QuerySet[User]:
    """Staff of the meeting's subtree: who may own its tasks."""
    return _active().filter(jurisdiction__path__startswith=meeting.jurisdiction.path)


def attendee_choices(meeting: Meeting) -> QuerySet[User]:
    """Staff of the subtree, and the chair wherever placed."""
    return _active().filter(
        Q(jurisdiction__path__startswith=meeting.jurisdiction.path) | Q(pk=meeting.chair_id)
    )


def decision_deadline(
    meeting_day: date, working_days: int | None, on: date | None, calendar: WorkCalendar
) -> Deadline | None:
    """The deadline a decision was given: working days after the meeting's day, or a date.

    The caller makes sure exactly one was given; None when neither was.
    """
    if working_days is not None:
        return add_working_days(meeting_day, working_days, calendar)
    if on is not None:
        return Deadline(on, provisional=False)
    return None
