"""Sending notifications: called after commit, so a rolled-back change notifies nobody."""

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from .models import Notification


def notify(recipients: Iterable[Any], *, kind: str, message: str, case: Any = None) -> int:
    """One notification per distinct recipient; returns how many were written."""
    unique = {user.pk: user for user in recipients if user is not None}
    Notification.objects.bulk_create(
        Notification(recipient=user, case=case, kind=kind, message=message[:300])
        for user in unique.values()
    )
    return len(unique)


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_all_read(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
