"""The patrol register (巡查记录登记簿): one line per patrol, as the paper book keeps it.

Date, worker, grid, start and end, what was checked, how many findings, and the cases and
hazards they became. It records the workers' work in their grids; nothing about residents.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.ledgers.registry import Column, Kind, Ledger, local_date, narrowed, register
from yimen.org.models import Role
from yimen.org.permissions import has_role
from yimen.periods import Period

from .forms import PatrolFilterForm
from .models import Finding, Patrol

PATROL_REGISTER_READERS = (
    Role.GRID,
    Role.DESK,
    Role.DIRECTOR,
    Role.SUPERVISOR,
    Role.LEADER,
    Role.ADMIN,
)


def patrol_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet[Patrol]:
    """Patrols started in the period, in the order they were made."""
    rows = narrowed(
        Patrol.objects.for_user(user).filter(period.contains("started_at")),
        filters,
        grid="grid",
        worker="worker",
    )
    return (
        rows.select_related("grid", "worker")
        .prefetch_related(
            Prefetch(
                "findings",
                queryset=Finding.objects.select_related("case", "hazard").order_by("pk"),
            )
        )
        .order_by("started_at", "pk")
    )


def _times(patrol: Patrol) -> str:
    start, end = timezone.localtime(patrol.started_at), timezone.localtime(patrol.ended_at)
    end_format = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
    return f"{start:%H:%M}–{end.strftime(end_format)}"


def _raised(patrol: Patrol) -> str:
    """The receipt numbers of the cases and the numbers of the hazards the findings became."""
    numbers = []
    for finding in patrol.findings.all():
        if finding.case_id:
            numbers.append(finding.case.receipt_number)
        if finding.hazard_id:
            numbers.append(finding.hazard.number)
    return "、".join(numbers)


PATROL_REGISTER = register(
    Ledger(
        code="patrols",
        title=_("Patrol register (巡查记录登记簿)"),
        description=_(
            "Every patrol the grid workers logged: when, in which grid, what was checked, "
            "how many findings, and the cases and hazards they became."
        ),
        period_means=_("The period selects on the day the patrol started."),
        columns=(
            Column(_("Date"), lambda p: local_date(p.started_at), Kind.DATE, 12),
            Column(_("Grid worker"), lambda p: str(p.worker), width=10),
            Column(_("Grid"), lambda p: p.grid.name, width=12),
            Column(_("Start–end"), _times, width=12),
            Column(_("What was checked"), lambda p: p.checked, Kind.LONG, 30),
            Column(_("Findings"), lambda p: len(p.findings.all()), Kind.NUMBER, 7),
            Column(_("Cases and hazards raised"), _raised, width=20),
        ),
        rows=patrol_rows,
        allowed=lambda user: has_role(user, *PATROL_REGISTER_READERS),
        filter_form=PatrolFilterForm,
        link=lambda p: reverse("fieldwork:patrol", args=[p.pk]),
        position=60,
    )
)
