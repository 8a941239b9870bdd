"""Who sees the accountability tables: the center's director, supervisors and leaders."""

from typing import Any

from yimen.org.models import Role
from yimen.org.permissions import has_role

VIEWER_ROLES = (Role.DIRECTOR, Role.SUPERVISOR, Role.LEADER)


def can_view_accountability(user: Any) -> bool:
    """Those who answer for the units' work, each within their own jurisdiction."""
    return has_role(user, *VIEWER_ROLES) and bool(user.visible_path)
