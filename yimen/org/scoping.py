"""Jurisdiction scoping, in one place.

Every list, detail, search, count and export of a scoped model goes through
``Model.objects.for_user(user)`` or :func:`get_for_user_or_404`. A model opts in by naming
``scope_path``, the lookup from it to its jurisdiction's ``path``. A user sees their own
node's subtree and nothing else; a user without a node, an inactive user and an anonymous
visitor see nothing, so a forgotten setting fails closed.
"""

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


def path_and_ancestors(path: str) -> list[str]:
    """``/1/4/9/`` → ``["/1/", "/1/4/", "/1/4/9/"]``: a node's path and those of the nodes above.

    Staff placed above a place serve it too (the street's director, the district's leader).
    """
    return [path[: i + 1] for i, ch in enumerate(path) if ch == "/" and i]


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> "ScopedQuerySet":
        path = getattr(user, "visible_path", None) if user.is_authenticated else None
        if not path:
            return self.none()
        return self.filter(**{f"{self.model.scope_path}__startswith": path})


def get_for_user_or_404(model: type[M], user: Any, **lookup: Any) -> M:
    """Fetch one object the user may see; anything else is a 404, never a 403.

    A 403 would confirm that the object exists in somebody else's jurisdiction.
    """
    try:
        return model.objects.for_user(user).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
