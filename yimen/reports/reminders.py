"""Periodic reports in the deadline sweep: the person responsible hears before each due date.

On a scheduled report's reminder day — ``YIMEN_REMIND_WORKING_DAYS_BEFORE`` working days
before its due date (``schedule.reminder_day``), the same notice cases get — each node's
responsible person, or with none set its directors, gets one notification, unless the
node's report on that period is filed already. Only on that day: the sweep runs every few
minutes, so the day is never missed, and a due date a reminder already passed is not told
of again on the days after it.

The claim is the unique (node, kind, due date, person) of ``ReportReminder``: the rows are
inserted with conflicts ignored under this run's batch id, and only the rows that carry it
are notified, so a second or concurrent sweep tells nobody again.
"""

import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from yimen.audit.services import record
from yimen.notices.models import NoticeKind
from yimen.notices.services import notify
from yimen.org.models import Role, User
from yimen.workdays.services import load_calendar

from .models import Report, ReportReminder, ReportStatus
from .rules import active_choices
from .schedule import Due, ReportKind, dues_between


def dues_to_remind(today: date) -> list[Due]:
    """The scheduled reports whose reminder day is ``today``."""
    calendar = load_calendar(today - timedelta(days=100), today + timedelta(days=100))
    dues = []
    for kind in ReportKind.values:
        dues += dues_between(
            kind, today, today + timedelta(days=60), calendar,
            monthly_due_day=settings.YIMEN_MONTHLY_REPORT_DUE_DAY,
            remind_days=settings.YIMEN_REMIND_WORKING_DAYS_BEFORE,
        )  # fmt: skip
    return [due for due in dues if due.remind_on == today]


def owners(kind: str) -> list[tuple[int, User]]:
    """(node id, person) for every node with someone responsible for ``kind``: the person
    set for it, or else each active director placed there (as ``rules.responsible_people``)."""
    chosen = [(row.jurisdiction_id, row.user) for row in
              active_choices().filter(kind=kind).select_related("user")]  # fmt: skip
    named = {node for node, _user in chosen}
    directors = User.objects.filter(
        role=Role.DIRECTOR, is_active=True, jurisdiction__isnull=False
    ).exclude(jurisdiction_id__in=named)
    return chosen + [(director.jurisdiction_id, director) for director in directors]


def _candidates(due: Due, batch: uuid.UUID, now: datetime) -> list[ReportReminder]:
    filed = set(
        Report.objects.filter(
            kind=due.kind, start=due.period.start, end=due.period.end, status=ReportStatus.FILED
        ).values_list("jurisdiction_id", flat=True)
    )
    return [
        ReportReminder(
            jurisdiction_id=node,
            kind=due.kind,
            due_date=due.date,
            recipient=person,
            batch=batch,
            created_at=now,
        )  # fmt: skip
        for node, person in owners(due.kind)
        if node not in filed
    ]


def _message(reminder: ReportReminder, period: str) -> str:
    return _("%(kind)s of %(place)s for %(period)s is due on %(date)s.") % {
        "kind": ReportKind(reminder.kind).label,
        "place": reminder.jurisdiction.name,
        "period": period,
        "date": reminder.due_date.isoformat(),
    }


def remind_report_owners(today: date, now: datetime) -> int:
    """Tell the people responsible for the reports whose reminder day is ``today``, each once;
    returns how many notifications were written. Runs inside the sweep's transaction."""
    dues = dues_to_remind(today)
    if not dues:
        return 0
    batch = uuid.uuid4()
    periods = {(due.kind, due.date): str(due.period) for due in dues}
    ReportReminder.objects.bulk_create(
        [row for due in dues for row in _candidates(due, batch, now)], ignore_conflicts=True
    )
    claimed = list(
        ReportReminder.objects.filter(batch=batch).select_related("recipient", "jurisdiction")
    )
    link = reverse("reports:index")
    for reminder in claimed:
        message = _message(reminder, periods[reminder.kind, reminder.due_date])
        notify([reminder.recipient], kind=NoticeKind.REPORT_DUE, message=message, link=link)
    if claimed:
        record(
            "reports.reminders.sent",
            object_type="reports.reportreminder",
            object_id=str(batch),
            changes={"due": sorted({f"{r.kind} {r.due_date}" for r in claimed}),
                     "notified": len(claimed)},
        )  # fmt: skip
    return len(claimed)
