"""Meeting tasks in the deadline sweep: the owner hears once when a task is due soon and once
when it is overdue.

"Due soon" is the supervision window (``supervision.windows``): due today or within
``YIMEN_REMIND_WORKING_DAYS_BEFORE`` working days, so a task and a case a day apart are
reminded of alike. The claim is the unique (task, kind, deadline) of ``TaskAlert``: the
rows are inserted with conflicts ignored under this run's batch id, and only the rows that
carry it are notified — a second or concurrent sweep inserts nothing and tells nobody.
"""

import uuid
from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from yimen.audit.services import record
from yimen.notices.models import NoticeKind
from yimen.notices.services import notify
from yimen.supervision.windows import Window

from .models import Task, TaskAlert, TaskAlertKind, TaskStatus

NOTICE_KIND = {
    TaskAlertKind.DUE_SOON: NoticeKind.MEETING_TASK_DUE_SOON,
    TaskAlertKind.OVERDUE: NoticeKind.MEETING_TASK_OVERDUE,
}


def _candidates(window: Window) -> list[TaskAlert]:
    """Open tasks in the window with no alert of their kind for their deadline yet."""
    tasks = Task.objects.filter(status=TaskStatus.OPEN, deadline__lte=window.approaching_until)
    alerts = []
    for kind, condition in (
        (TaskAlertKind.OVERDUE, {"deadline__lt": window.today}),
        (TaskAlertKind.DUE_SOON, {"deadline__gte": window.today}),
    ):
        raised = TaskAlert.objects.filter(
            task=OuterRef("pk"), kind=kind, deadline=OuterRef("deadline")
        )
        for pk, deadline in (
            tasks.filter(**condition).exclude(Exists(raised)).values_list("pk", "deadline")
        ):
            alerts.append(TaskAlert(task_id=pk, kind=kind, deadline=deadline))
    return alerts


def _message(alert: TaskAlert) -> str:
    task = alert.task
    values = {"number": task.number, "date": alert.deadline.isoformat(), "text": task.text[:120]}
    if alert.kind == TaskAlertKind.OVERDUE:
        return _("Meeting task %(number)s is overdue (due %(date)s): %(text)s") % values
    return _("Meeting task %(number)s is due on %(date)s: %(text)s") % values


def remind_task_owners(window: Window, now: datetime) -> int:
    """Raise the due-soon and overdue alerts of ``window.today``, each once; returns how many
    notifications were written. Runs inside the sweep's transaction."""
    batch = uuid.uuid4()
    alerts = _candidates(window)
    for alert in alerts:
        alert.batch, alert.created_at = batch, now
    TaskAlert.objects.bulk_create(alerts, ignore_conflicts=True)
    claimed = list(TaskAlert.objects.filter(batch=batch).select_related("task__owner"))
    for alert in claimed:
        notify([alert.task.owner], kind=NOTICE_KIND[alert.kind], message=_message(alert))
    if claimed:
        record(
            "meetings.tasks.reminded",
            object_type="meetings.taskalert",
            object_id=str(batch),
            changes={kind: sum(a.kind == kind for a in claimed) for kind in TaskAlertKind.values},
        )
    return len(claimed)
