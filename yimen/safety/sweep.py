"""Overdue rectifications in the deadline sweep: the safety office hears once per hazard and
deadline.

A rectification is overdue when the hazard is not signed off — still open, or fixed but not
yet re-inspected — after its deadline (``rules.is_overdue``). The claim is the unique
(hazard, deadline) of ``HazardAlert``: the rows are inserted with conflicts ignored under
this run's batch id, and only the rows that carry it are notified, so a second or
concurrent sweep tells nobody again.
"""

import uuid
from datetime import date, datetime

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from yimen.audit.services import record
from yimen.notices.models import NoticeKind
from yimen.notices.services import notify

from .models import OUTSTANDING, Hazard, HazardAlert
from .services import hazard_url, safety_office_staff


def _message(hazard: Hazard) -> str:
    values = {
        "number": hazard.number,
        "date": hazard.deadline.isoformat(),
        "org": hazard.responsible_org or "—",
        "text": hazard.description[:100],
    }
    return _("Rectification overdue: %(number)s was due on %(date)s (%(org)s): %(text)s") % values


def remind_overdue_rectifications(today: date, now: datetime) -> int:
    """Raise the overdue alerts of ``today``, each once; returns how many notifications were
    written. Runs inside the sweep's transaction."""
    alerted = HazardAlert.objects.filter(hazard=OuterRef("pk"), deadline=OuterRef("deadline"))
    overdue = Hazard.objects.filter(status__in=OUTSTANDING, deadline__lt=today).exclude(
        Exists(alerted)
    )
    candidates = list(overdue.values_list("pk", "deadline"))
    if not candidates:
        return 0  # the usual day: one query
    batch = uuid.uuid4()
    HazardAlert.objects.bulk_create(
        [
            HazardAlert(hazard_id=pk, deadline=deadline, batch=batch, created_at=now)
            for pk, deadline in candidates
        ],
        ignore_conflicts=True,
    )
    claimed = list(HazardAlert.objects.filter(batch=batch).select_related("hazard__jurisdiction"))
    notified = 0
    for alert in claimed:
        hazard = alert.hazard
        notified += notify(
            safety_office_staff(hazard.jurisdiction),
            kind=NoticeKind.RECTIFICATION_OVERDUE,
            message=_message(hazard),
            link=hazard_url(hazard),
        )
    if claimed:
        record(
            "safety.rectifications.overdue",
            object_type="safety.hazardalert",
            object_id=str(batch),
            changes={"hazards": [alert.hazard_id for alert in claimed], "notified": notified},
        )
    return notified
