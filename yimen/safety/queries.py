"""What the safety pages, the supervision desk and the ledgers read: the same conditions as
``rules``, written once as query filters, so every count is the length of its list."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import F, Q, QuerySet

from . import rules
from .models import OUTSTANDING, Hazard, Place


def inspection_due(places: QuerySet[Place], today: date) -> QuerySet[Place]:
    """Active places whose inspection day has come, or that were never inspected
    (``rules.is_inspection_due``), the longest waiting first."""
    return places.filter(
        Q(inspection_due_on__isnull=True) | Q(inspection_due_on__lte=today), is_active=True
    ).order_by(F("inspection_due_on").asc(nulls_first=True), "name", "pk")


def outstanding(hazards: QuerySet[Hazard]) -> QuerySet[Hazard]:
    """Not signed off: open, or fixed and waiting for the re-inspection."""
    return hazards.filter(status__in=OUTSTANDING)


def overdue(hazards: QuerySet[Hazard], today: date) -> QuerySet[Hazard]:
    """Outstanding after the deadline (``rules.is_overdue``)."""
    return outstanding(hazards).filter(deadline__lt=today)


def overdue_rectifications(user: Any, today: date) -> int:
    """How many rectifications in the user's jurisdiction are overdue (the desk's tile)."""
    return overdue(Hazard.objects.for_user(user), today).count()


def flagged(hazards: Iterable[Hazard], today: date) -> list[Hazard]:
    """The hazards with ``is_overdue`` set, for the lists."""
    rows = list(hazards)
    for hazard in rows:
        hazard.is_overdue = rules.is_overdue(hazard.status, hazard.deadline, today)
    return rows
