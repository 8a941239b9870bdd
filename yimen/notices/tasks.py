"""Background tasks of the notification channels: one e-mail, one webhook delivery.

Both take a row id and are safe to run twice: a worker killed mid-task has its message
delivered again (``acks_late``), so the e-mail checks ``emailed_at`` and the webhook sends
the same ``X-Yimen-Delivery`` id for a receiver to drop a repeat.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import webhooks
from .models import Notification, WebhookDelivery, kind_label


class WebhookFailed(Exception):
    """The last try of a delivery failed; the worker records it as a failed task."""


@shared_task(name="notices.send_email")
def send_notification_email(notification_id: int) -> str:
    """E-mail one notification to its recipient (Django's mail settings; console by default)."""
    notification = (
        Notification.objects.select_related("recipient", "case").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None:
        return "skipped"
    user = notification.recipient
    if not (user.is_active and user.email):
        return "skipped"
    base = settings.YIMEN_BASE_URL.rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "notification": notification,
            "kind": kind_label(notification.kind),
            "center_name": settings.YIMEN_CENTER_NAME,
            "case_url": base + reverse("cases:detail", args=[notification.case_id])
            if notification.case_id
            else "",
            "preferences_url": base + reverse("notices:preferences"),
        }
        subject = f"[{settings.YIMEN_CENTER_NAME}] {notification.message}"[:150]
        body = render_to_string("notices/email.txt", context)
    send_mail(subject.replace("\n", " "), body, None, [user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return "sent"


def _attempt_to_make(first: WebhookDelivery) -> WebhookDelivery | None:
    """The row this run fills in: the latest attempt if it was never tried (queued, or its
    worker died mid-request), else a new attempt; None once the event was delivered."""
    latest = (
        WebhookDelivery.objects.filter(delivery_id=first.delivery_id).order_by("-attempt").first()
    )
    if latest is None or latest.delivered_at is not None:
        return None
    if latest.tried_at is None:
        return latest
    return WebhookDelivery.objects.create(
        webhook_id=latest.webhook_id,
        delivery_id=latest.delivery_id,
        event=latest.event,
        payload=latest.payload,
        attempt=latest.attempt + 1,
    )


@shared_task(
    bind=True,
    name="notices.deliver_webhook",
    max_retries=None,  # the budget is YIMEN_WEBHOOK_MAX_TRIES, checked below
    dont_autoretry_for=(WebhookFailed,),
)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one event to one webhook; on failure, try again with exponential back-off."""
    first = WebhookDelivery.objects.filter(pk=delivery_id).first()
    delivery = _attempt_to_make(first) if first else None
    if delivery is None:
        return "nothing to do"
    hook = delivery.webhook
    if not hook.is_active:
        delivery.tried_at = timezone.now()
        delivery.error = _("Not sent: the webhook is switched off.")
        delivery.save(update_fields=["tried_at", "error"])
        return "switched off"

    body = webhooks.encode(delivery.payload)
    headers = {
        webhooks.SIGNATURE_HEADER: webhooks.signature(hook.secret, body),
        webhooks.EVENT_HEADER: delivery.event,
        webhooks.DELIVERY_HEADER: str(delivery.delivery_id),
    }
    outcome = webhooks.post(hook.url, body, headers, timeout=settings.YIMEN_WEBHOOK_TIMEOUT)

    now = timezone.now()
    delivery.tried_at = now
    delivery.status_code = outcome.status_code
    delivery.error = outcome.error[:2000]
    delivery.delivered_at = now if outcome.ok else None
    last_try = self.request.retries + 1 >= settings.YIMEN_WEBHOOK_MAX_TRIES
    countdown = settings.YIMEN_WEBHOOK_BACKOFF_SECONDS * 2**self.request.retries
    if not outcome.ok and not last_try:
        delivery.next_try_at = now + timedelta(seconds=countdown)
    delivery.save(update_fields=["tried_at", "status_code", "error", "delivered_at", "next_try_at"])
    if outcome.ok:
        return "delivered"
    if last_try:
        raise WebhookFailed(f"{hook.url}: {outcome.error}")
    raise self.retry(countdown=countdown)
