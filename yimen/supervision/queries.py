"""What the supervision pages list, always starting from ``Case.objects.for_user``.

A reminder slip or a named supervision is visible exactly when its case is, so another
community's slip is a 404 like its case. Drafts of reminder slips stay inside the center
(supervisors, directors, leaders) until a director signs them.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from yimen.cases.models import Case
from yimen.cases.workflow import OPEN
from yimen.org.models import Role

from .models import AlertKind, NamedSupervision, ReminderSlip, ReminderStatus
from .windows import Window

CENTER_ROLES = (Role.SUPERVISOR, Role.DIRECTOR, Role.LEADER)


def visible_slips(user: Any) -> QuerySet[ReminderSlip]:
    slips = ReminderSlip.objects.filter(case__in=Case.objects.for_user(user).values("pk"))
    if user.role not in CENTER_ROLES:
        slips = slips.exclude(status=ReminderStatus.DRAFT)
    return slips.select_related("case", "unit", "issued_by", "approved_by", "replied_by")


def get_slip_or_404(user: Any, pk: int) -> ReminderSlip:
    slip = visible_slips(user).filter(pk=pk).first()
    if slip is None:
        raise Http404
    return slip


def visible_supervisions(user: Any) -> QuerySet[NamedSupervision]:
    return NamedSupervision.objects.filter(
        case__in=Case.objects.for_user(user).values("pk")
    ).select_related(
        "case__category", "case__jurisdiction", "case__lead_unit", "responsible_unit",
        "responsible_leader", "listed_by", "closed_by",
    )  # fmt: skip


def get_supervision_or_404(user: Any, pk: int) -> NamedSupervision:
    supervision = visible_supervisions(user).filter(pk=pk).first()
    if supervision is None:
        raise Http404
    return supervision


def under_leader(leader: Any) -> Q:
    """Cases a leader answers for: their leader cases and their named supervisions."""
    listed = NamedSupervision.objects.filter(
        case=OuterRef("pk"), responsible_leader=leader, closed_at__isnull=True
    )
    return Q(leader=leader) | Exists(listed)


# --- the supervisor's desk ---------------------------------------------------------------

SHOW_ALL = "all"
SHOWS = (SHOW_ALL, AlertKind.OVERDUE, AlertKind.DUE, AlertKind.APPROACHING)


@dataclass(frozen=True)
class Tally:
    all: int
    overdue: int
    due: int
    approaching: int


def open_cases(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.filter(status__in=OPEN)


def tally(cases: QuerySet[Case], window: Window) -> Tally:
    """The desk's tiles in one query, over the same rows and conditions as its lists."""
    counts = cases.order_by().aggregate(
        all=Count("pk"),
        **{kind: Count("pk", filter=window.q(kind)) for kind in AlertKind.values},
    )
    return Tally(**counts)


def showing(cases: QuerySet[Case], show: str, window: Window) -> QuerySet[Case]:
    """One tile's list: all open cases, or those overdue, due today or approaching."""
    if show in AlertKind.values:
        cases = cases.filter(window.q(show))
    return cases
