"""What the meeting pages list: meetings and tasks in scope, and each task's time left.

Every list starts from ``for_user``: another community's meeting or task is neither listed
nor counted, and fetching one by id is a 404.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import QuerySet

from yimen.cases.deadlines import is_overdue, working_days_left
from yimen.cases.models import Case
from yimen.cases.presentation import TimeLeft
from yimen.workdays.services import load_calendar

from .models import AgendaItem, Meeting, Task, TaskStatus

MINE, ALL = "mine", "all"
OPEN, OVERDUE, DONE = "open", "overdue", "done"
WHO = (MINE, ALL)
STATES = (OPEN, OVERDUE, DONE)


def visible_meetings(user: Any) -> QuerySet[Meeting]:
    return Meeting.objects.for_user(user).select_related("jurisdiction", "chair")


def visible_tasks(user: Any) -> QuerySet[Task]:
    return Task.objects.for_user(user).select_related("owner", "meeting__jurisdiction")


def filter_tasks(tasks: QuerySet[Task], user: Any, who: str, state: str, today: date) -> Any:
    """The tasks list's filters: the user's own or all in scope; open, overdue or done."""
    if who == MINE:
        tasks = tasks.filter(owner=user)
    if state == DONE:
        return tasks.filter(status=TaskStatus.DONE).order_by("-done_at", "-pk")
    tasks = tasks.filter(status=TaskStatus.OPEN)
    if state == OVERDUE:
        tasks = tasks.filter(deadline__lt=today)
    return tasks.order_by("deadline", "pk")


def open_tasks_of(user: Any) -> QuerySet[Task]:
    """The user's own open tasks, soonest deadline first: the inbox section."""
    return visible_tasks(user).filter(owner=user, status=TaskStatus.OPEN).order_by("deadline", "pk")


def with_time_left(tasks: Iterable[Task], today: date) -> list[Task]:
    """Working days left (or overdue) on each open task, the calendar read once."""
    tasks = list(tasks)
    days = [today, *(t.deadline for t in tasks)]
    calendar = load_calendar(min(days), max(days))
    for task in tasks:
        running = task.is_open
        left = working_days_left(task.deadline, today, calendar) if running else None
        task.time_left = TimeLeft(
            task.deadline, left, running and is_overdue(task.deadline, today),
            task.deadline_provisional,
        )  # fmt: skip
        task.days_overdue = -left if task.time_left.overdue and left else 0
    return tasks


def agenda_for(meeting: Meeting, user: Any) -> list[AgendaItem]:
    """The agenda as ``user`` may read it: an item about a case they may not see (a complaint
    about them, another unit's case) is left out, without a trace."""
    items = list(meeting.agenda.order_by("position", "pk"))
    case_ids = {item.case_id for item in items if item.case_id}
    seen = set(Case.objects.for_user(user).filter(pk__in=case_ids).values_list("pk", flat=True))
    return [item for item in items if item.case_id is None or item.case_id in seen]
