"""Sending notifications, on every channel: in-app, e-mail and units' webhooks.

``notify`` is the single entry point for people and ``notify_unit`` for a unit (its staff
and its webhooks). Both write their rows at once, inside the caller's transaction, and queue
the e-mails and webhook deliveries only after commit: a rolled-back change notifies nobody,
and nothing is sent from inside a transaction. Queueing never raises: a broker that does not
answer is logged, and the change that was being announced stands.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from yimen.audit.services import record
from yimen.cases.models import Case
from yimen.org.models import Unit, User

from .models import (
    DEFAULT_EMAIL_KINDS,
    EVERY_CHANNEL_KINDS,
    Notification,
    NotificationPreference,
    UnitWebhook,
    WebhookDelivery,
    new_secret,
)
from .tasks import deliver_webhook, send_notification_email

logger = logging.getLogger(__name__)


# --- people ------------------------------------------------------------------------------


def notify(
    recipients: Iterable[Any], *, kind: str, message: str, case: Any = None, link: str = ""
) -> int:
    """One notification per distinct recipient, e-mailed to those who chose ``kind``.

    An urgent matter also goes out through the webhooks of the recipients' units. Returns
    how many notifications were written.
    """
    users = _unique(recipients)
    _notify_users(users, kind=kind, message=message, case=case, link=link)
    if kind in EVERY_CHANNEL_KINDS:
        units = Unit.objects.filter(pk__in={u.unit_id for u in users if u.unit_id})
        for unit in units:
            send_webhooks(unit, kind=kind, message=message, case=case)
    return len(users)


def notify_unit(
    unit: Any,
    *,
    kind: str,
    message: str,
    case: Any = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Notify a unit: its active staff (in-app and e-mail) and its webhooks for ``kind``.

    ``payload`` adds fields to the webhook body's ``data``: ids and codes only, never a
    party's name, phone or ID number. Returns how many people were notified.
    """
    users = _unique(unit.staff.filter(is_active=True))
    _notify_users(users, kind=kind, message=message, case=case)
    send_webhooks(unit, kind=kind, message=message, case=case, payload=payload)
    return len(users)


@dataclass
class UnitNotice:
    """One notice for one unit, for ``notify_units``."""

    unit_id: int
    kind: str
    message: str
    case: Any = None
    payload: dict[str, Any] = field(default_factory=dict)


def notify_units(notices: list[UnitNotice]) -> int:
    """``notify_unit`` for many units at once, in a fixed number of queries.

    The deadline sweep tells hundreds of units at a time; one round of queries per unit made
    it the sweep's slowest part at a million cases (bench/README, "Scale").
    """
    if not notices:
        return 0
    unit_ids = {n.unit_id for n in notices}
    units = Unit.objects.in_bulk(unit_ids)
    staff: dict[int, list[Any]] = defaultdict(list)
    for user in User.objects.filter(unit_id__in=unit_ids, is_active=True).order_by("pk"):
        staff[user.unit_id].append(user)
    hooks: dict[int, list[UnitWebhook]] = defaultdict(list)
    for hook in UnitWebhook.objects.filter(unit_id__in=unit_ids):
        hooks[hook.unit_id].append(hook)
    everyone = [user for users in staff.values() for user in users]
    wanted = email_kinds_for(everyone) if everyone else {}
    rows = [
        Notification(recipient=user, case=n.case, kind=n.kind, message=n.message[:300])
        for n in notices
        for user in staff[n.unit_id]
    ]
    created = Notification.objects.bulk_create(rows)
    to_email = [
        row.pk
        for row in created
        if row.recipient.email and row.kind in wanted[row.recipient.pk] and row.pk
    ]
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            webhook=hook,
            event=n.kind,
            payload=event_payload(
                kind=n.kind, message=n.message, unit=units[n.unit_id], case=n.case, data=n.payload
            ),
        )
        for n in notices
        for hook in hooks[n.unit_id]
        if hook.wants(n.kind)
    )
    delivery_ids = [d.pk for d in deliveries]
    if to_email or delivery_ids:
        transaction.on_commit(
            lambda: [
                *[_enqueue(send_notification_email, pk) for pk in to_email],
                *[_enqueue(deliver_webhook, pk) for pk in delivery_ids],
            ],
            robust=True,
        )
    return len(rows)


def _unique(recipients: Iterable[Any]) -> list[Any]:
    return list({user.pk: user for user in recipients if user is not None}.values())


def _notify_users(users: list[Any], *, kind: str, message: str, case: Any, link: str = "") -> None:
    if not users:
        return
    created = Notification.objects.bulk_create(
        Notification(recipient=user, case=case, kind=kind, message=message[:300], link=link)
        for user in users
    )
    wanted = email_kinds_for(users)
    to_email = [
        n.pk for n in created if n.recipient.email and kind in wanted[n.recipient.pk] and n.pk
    ]
    if to_email:
        transaction.on_commit(
            lambda: [_enqueue(send_notification_email, pk) for pk in to_email], robust=True
        )


def email_kinds_for(users: list[Any]) -> dict[int, set[str]]:
    """The kinds each user receives by e-mail (their choice, or the default, plus urgent)."""
    chosen = dict(
        NotificationPreference.objects.filter(user__in=[u.pk for u in users]).values_list(
            "user_id", "email_kinds"
        )
    )
    return {
        u.pk: set(chosen.get(u.pk, DEFAULT_EMAIL_KINDS)) | set(EVERY_CHANNEL_KINDS) for u in users
    }


def set_email_kinds(user: Any, kinds: Iterable[str], *, email: str | None = None) -> None:
    """Save a user's e-mail choices (and address), audited."""
    kinds = sorted(set(kinds))
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, defaults={"email_kinds": sorted(DEFAULT_EMAIL_KINDS)}
        )
        changes: dict[str, Any] = {}
        if pref.email_kinds != kinds:
            changes["email_kinds"] = [pref.email_kinds, kinds]
            pref.email_kinds = kinds
            pref.save(update_fields=["email_kinds", "updated_at"])
        if email is not None and email != user.email:
            changes["email"] = [user.email, email]
            user.email = email
            user.save(update_fields=["email"])
        if changes:
            record("notices.preferences.updated", user, actor=user, changes=changes)


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_all_read(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- webhooks ----------------------------------------------------------------------------


def send_webhooks(
    unit: Any,
    *,
    kind: str,
    message: str,
    case: Any = None,
    payload: dict[str, Any] | None = None,
) -> list[WebhookDelivery]:
    """Log a delivery for each of the unit's active webhooks that wants ``kind`` and queue
    it after commit."""
    hooks = [hook for hook in UnitWebhook.objects.filter(unit=unit) if hook.wants(kind)]
    if not hooks:
        return []
    body = event_payload(kind=kind, message=message, unit=unit, case=case, data=payload)
    deliveries = [
        WebhookDelivery.objects.create(webhook=hook, event=kind, payload=body) for hook in hooks
    ]
    transaction.on_commit(
        lambda: [_enqueue(deliver_webhook, d.pk) for d in deliveries], robust=True
    )
    return deliveries


def event_payload(
    *, kind: str, message: str, unit: Any, case: Any = None, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON body of a webhook delivery. It names the case by id and receipt number; it
    never carries a party's name, phone or ID number."""
    return {
        "event": kind,
        "occurred_at": timezone.now().isoformat(),
        "message": message,
        "unit": {"id": unit.pk, "name": unit.name},
        "case": case_summary(case) if case is not None else None,
        "data": data or {},
    }


def case_summary(case: Any) -> dict[str, Any]:
    # Read again: a transition updates the row, not the caller's instance.
    fresh = Case.objects.select_related("category", "jurisdiction", "lead_unit").get(pk=case.pk)
    return {
        "id": fresh.pk,
        "receipt_number": fresh.receipt_number,
        "status": fresh.status,
        "category": fresh.category.code,
        "jurisdiction": fresh.jurisdiction.code,
        "lead_unit": (
            {"id": fresh.lead_unit_id, "name": fresh.lead_unit.name} if fresh.lead_unit else None
        ),
        "deadline": fresh.deadline.isoformat() if fresh.deadline else None,
        "urgent": fresh.is_urgent,
        "url": absolute_url(reverse("cases:detail", args=[fresh.pk])),
    }


def absolute_url(path: str) -> str:
    return settings.YIMEN_BASE_URL.rstrip("/") + path


def webhook_state(hook: UnitWebhook) -> dict[str, Any]:
    return {
        "unit": hook.unit_id,
        "url": hook.url,
        "is_active": hook.is_active,
        "events": sorted(hook.events),
    }


def save_webhook(hook: UnitWebhook, *, actor: Any, before: dict[str, Any] | None = None) -> None:
    """Create or change a webhook, audited (the secret never goes into the log)."""
    with transaction.atomic():
        created = hook.pk is None
        hook.save()
        after = webhook_state(hook)
        if created:
            changes = after
        else:
            old = before or {}
            changes = {k: [old.get(k), v] for k, v in after.items() if old.get(k) != v}
        if created or changes:
            verb = "created" if created else "updated"
            record(f"notices.webhook.{verb}", hook, actor=actor, changes=changes)


def rotate_secret(hook: UnitWebhook, *, actor: Any) -> str:
    """A new secret for the webhook; the old one stops working at once."""
    with transaction.atomic():
        hook.secret = new_secret()
        hook.save(update_fields=["secret"])
        record("notices.webhook.secret_rotated", hook, actor=actor)
    return hook.secret


def delete_webhook(hook: UnitWebhook, *, actor: Any) -> None:
    with transaction.atomic():
        record("notices.webhook.deleted", hook, actor=actor, changes=webhook_state(hook))
        hook.delete()


def send_test_event(hook: UnitWebhook, *, actor: Any) -> WebhookDelivery:
    """A ``ping`` delivery to this one webhook, so an administrator can check the receiver."""
    body = event_payload(
        kind="ping", message="Yimen webhook test", unit=hook.unit, data={"by": actor.username}
    )
    delivery = WebhookDelivery.objects.create(webhook=hook, event="ping", payload=body)
    transaction.on_commit(lambda: _enqueue(deliver_webhook, delivery.pk), robust=True)
    return delivery


def _enqueue(task: Any, *args: Any) -> None:
    try:
        task.delay(*args)
    except Exception:
        # The row is written (an unsent delivery stays in the log as "waiting"); the change
        # that was being announced must not fail because the queue is down.
        logger.exception("could not queue %s%r", task.name, args)
