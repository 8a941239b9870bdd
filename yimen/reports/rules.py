"""Who may read, write, file and assign periodic reports, as plain functions.

- Directors, supervisors, leaders and administrators read and write the reports of their
  node and the nodes below it; a responsible person those of their own node and kind.
- Filing is for the responsible person, a director or an administrator over the report.
- The figures are counted over what the person generating them sees (``Case.objects.
  for_user``) narrowed to the report's node (``meetings.agenda.seen_from``): a street's
  director regenerating a community's report counts that community alone.
- Who is responsible is set by a director or an administrator, for a node of their subtree;
  the person is placed at that node and is not a handling unit's account (which sees only
  its unit's cases, so its figures would leave the rest out). Without one, the directors
  placed at the node are responsible.
"""

from typing import Any

from django.db.models import F, Q, QuerySet

from yimen.org.models import Jurisdiction, Role, User
from yimen.org.permissions import has_role

from .models import Report, ResponsiblePerson

READER_ROLES = (Role.DIRECTOR, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
FILER_ROLES = (Role.DIRECTOR, Role.ADMIN)
ASSIGNER_ROLES = (Role.DIRECTOR, Role.ADMIN)


def active_choices() -> QuerySet[ResponsiblePerson]:
    """The choices still in force: the person is active and still placed at the node
    (someone moved elsewhere leaves the node to its directors until another is named)."""
    return ResponsiblePerson.objects.filter(
        user__is_active=True, user__jurisdiction=F("jurisdiction")
    )


def responsible_people(jurisdiction: Jurisdiction, kind: str) -> list[User]:
    """The person set for the node and kind, or else the active directors placed there."""
    chosen = active_choices().filter(jurisdiction=jurisdiction, kind=kind).select_related("user")
    people = [row.user for row in chosen]
    if people:
        return people
    return list(User.objects.filter(jurisdiction=jurisdiction, role=Role.DIRECTOR, is_active=True))


def is_responsible(user: Any, jurisdiction: Jurisdiction, kind: str) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return any(person.pk == user.pk for person in responsible_people(jurisdiction, kind))


def _responsibilities(user: Any) -> QuerySet[ResponsiblePerson]:
    return active_choices().filter(user=user)


def may_use(user: Any) -> bool:
    """The reports pages: the roles above, and anyone responsible for a kind of report."""
    if has_role(user, *READER_ROLES):
        return bool(user.visible_path)
    return bool(user.is_authenticated and user.is_active) and _responsibilities(user).exists()


def visible_reports(user: Any) -> QuerySet[Report]:
    """The reports a user may open: scoped by jurisdiction first, failing closed."""
    reports = Report.objects.for_user(user)
    if has_role(user, *READER_ROLES):
        return reports
    if not (user.is_authenticated and user.is_active):
        return reports.none()
    kinds = list(_responsibilities(user).values_list("kind", flat=True))
    return reports.filter(Q(jurisdiction_id=user.jurisdiction_id) & Q(kind__in=kinds))


def may_generate(user: Any, kind: str) -> bool:
    """Generate a report of ``kind`` for the user's own node."""
    if not (user.is_authenticated and user.is_active and user.jurisdiction_id):
        return False
    return has_role(user, *READER_ROLES) or is_responsible(user, user.jurisdiction, kind)


def may_edit(user: Any, report: Report) -> bool:
    """Write the narrative of a draft the user may open, and generate its figures again."""
    return not report.is_filed and visible_reports(user).filter(pk=report.pk).exists()


def may_file(user: Any, report: Report) -> bool:
    if report.is_filed or not visible_reports(user).filter(pk=report.pk).exists():
        return False
    return has_role(user, *FILER_ROLES) or is_responsible(user, report.jurisdiction, report.kind)


def may_assign(user: Any) -> bool:
    return has_role(user, *ASSIGNER_ROLES) and bool(user.visible_path)


def assignable_nodes(user: Any) -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.for_user(user) if may_assign(user) else Jurisdiction.objects.none()


def person_choices(user: Any) -> QuerySet[User]:
    """Who may be made responsible anywhere in the assigner's subtree (the node is checked
    when saving): active staff, not handling units' accounts."""
    if not may_assign(user):
        return User.objects.none()
    return (
        User.objects.filter(is_active=True, jurisdiction__path__startswith=user.visible_path)
        .exclude(role=Role.UNIT)
        .select_related("jurisdiction")
        .order_by("jurisdiction__path", "username")
    )
