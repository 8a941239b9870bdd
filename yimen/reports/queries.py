"""What the reports pages list: the reports due around today, per node, with their state."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q

from yimen.org.models import Jurisdiction, Role, User
from yimen.org.permissions import has_role

from . import rules, services
from .models import Report
from .schedule import Due, ReportKind


@dataclass(frozen=True)
class DueRow:
    """One scheduled report of one node: where it stands and who answers for it."""

    due: Due
    node: Jurisdiction
    report: Report | None
    people: list[User]
    late: bool
    may_generate: bool

    @property
    def kind_label(self) -> str:
        return ReportKind(self.due.kind).label


def _nodes(user: Any) -> list[Jurisdiction]:
    """The nodes whose reports the user follows: their own, and below it those with someone
    responsible (a person named, or a director placed there)."""
    if not has_role(user, *rules.READER_ROLES):
        return [user.jurisdiction]
    path = user.visible_path
    named = rules.active_choices().filter(jurisdiction__path__startswith=path)
    directors = User.objects.filter(
        role=Role.DIRECTOR, is_active=True, jurisdiction__path__startswith=path
    )
    return list(
        Jurisdiction.objects.filter(
            Q(pk=user.jurisdiction_id)
            | Q(pk__in=named.values("jurisdiction"))
            | Q(pk__in=directors.values("jurisdiction"))
        ).order_by("path")
    )


def _kinds(user: Any, node: Jurisdiction) -> set[str]:
    """The kinds of report of ``node`` the user sees (all of them, for the roles over it)."""
    if has_role(user, *rules.READER_ROLES):
        return set(ReportKind.values)
    choices = rules.active_choices().filter(user=user, jurisdiction=node)
    return set(choices.values_list("kind", flat=True))


def due_rows(user: Any, today: date) -> list[DueRow]:
    """The scheduled reports due from a month ago to the next of each kind, for every node
    the user follows, with the report when there is one."""
    dues = services.upcoming(today)
    if not dues:
        return []
    reports = {
        (r.kind, r.jurisdiction_id, r.start, r.end): r
        for r in rules.visible_reports(user).filter(start__gte=min(d.period.start for d in dues))
    }
    rows = []
    for node in _nodes(user):
        kinds = _kinds(user, node)
        people = {kind: rules.responsible_people(node, kind) for kind in kinds}
        for due in dues:
            if due.kind not in kinds:
                continue
            report = reports.get((due.kind, node.pk, due.period.start, due.period.end))
            rows.append(
                DueRow(
                    due=due,
                    node=node,
                    report=report,
                    people=people[due.kind],
                    late=due.date < today and not (report and report.is_filed),
                    may_generate=report is None
                    and node.pk == user.jurisdiction_id
                    and rules.may_generate(user, due.kind),
                )
            )
    return rows
