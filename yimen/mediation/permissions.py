"""Who reads the mediation registers and reports: the committees and those above them."""

from typing import Any

from yimen.org.models import Role
from yimen.org.permissions import has_role

REPORT_READERS = (Role.MEDIATOR, Role.DIRECTOR, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)


def can_read_mediation_reports(user: Any) -> bool:
    """Mediators for their committee's work, the center's leadership for their jurisdiction.

    What each reader counts is still narrowed by case scoping (``Mediation.for_user``).
    """
    return has_role(user, *REPORT_READERS) and bool(user.visible_path)
