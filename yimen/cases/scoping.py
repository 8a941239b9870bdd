"""Who sees which case: jurisdiction first, then role and recusal, all in this one method."""

from typing import Any

from django.db.models import Exists, OuterRef, Q

from yimen.org.models import Jurisdiction, Role
from yimen.org.scoping import ScopedQuerySet


def _subtree(user: Any, path: str) -> list[int]:
    """The ids of the nodes at and under ``path``, read once per user object (per request)."""
    cached = getattr(user, "_subtree_ids", None)
    if cached is None or cached[0] != path:
        ids = list(Jurisdiction.objects.filter(path__startswith=path).values_list("pk", flat=True))
        cached = user._subtree_ids = (path, ids)
    return cached[1]


def subtree_less_recused(user: Any) -> tuple[int, list[int], Q] | None:
    """``for_user`` as the dashboard's roll-up counts it: the cases at or below the user's
    node (its id and its subtree's), less those matching the condition (about the user or
    their unit). None when that is not the whole rule (a handling unit's staff see only their
    unit's cases) or nothing is seen. Keep it in step with ``for_user``."""
    path = getattr(user, "visible_path", None) if user.is_authenticated else None
    if not path or user.role == Role.UNIT:
        return None
    recused = Q(about_staff=user)
    if user.unit_id:
        recused |= Q(about_unit_id=user.unit_id)
    return user.jurisdiction_id, _subtree(user, path), recused


class CaseQuerySet(ScopedQuerySet):
    def for_user(self, user: Any) -> "CaseQuerySet":
        """Cases in the user's subtree, less those the user must not see.

        A handling unit's staff see only their unit's cases; nobody sees a complaint about
        themselves or their own unit (recusal, DESIGN.md §1).

        The subtree is read first as a list of node ids (a street has a few dozen, a
        district a few thousand): ``jurisdiction_id IN (…)`` lets PostgreSQL count from the
        covering indexes of the dashboard (migration 0004) and estimate rows well, where a
        join on ``path LIKE '…%'`` is guessed at one node and planned as a nested loop.
        """
        path = getattr(user, "visible_path", None) if user.is_authenticated else None
        if not path:
            return self.none()
        qs = self.filter(jurisdiction_id__any=frozenset(_subtree(user, path)))
        qs = qs.exclude(about_staff=user)
        if user.unit_id:
            qs = qs.exclude(about_unit_id=user.unit_id)
        if user.role == Role.UNIT:
            if not user.unit_id:
                return qs.none()
            co = self.model.co_units.through.objects.filter(
                case=OuterRef("pk"), unit_id=user.unit_id
            )
            qs = qs.filter(Q(lead_unit_id=user.unit_id) | Exists(co))
        return qs
