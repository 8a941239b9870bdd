"""Who may do what, by role. Scoping by jurisdiction is separate (see ``scoping``)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .models import Role


def has_role(user: Any, *roles: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def can_manage_org(user: Any) -> bool:
    """Administrators maintain the tree, units, users and calendar of their own subtree."""
    return has_role(user, Role.ADMIN)


def can_manage_calendar(user: Any) -> bool:
    """The holiday calendar is national: only an administrator at the top of the tree edits it."""
    return can_manage_org(user) and user.jurisdiction.parent_id is None


def can_view_audit(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.SUPERVISOR)


def require(check: Callable[[Any], bool]) -> Callable:
    """View decorator: anonymous → login page; logged in but not allowed → 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff(user: Any) -> bool:
    """Any active staff account placed in the tree."""
    return bool(user.is_authenticated and user.is_active and user.jurisdiction_id)
