"""Notifications: the in-app outbox, each user's e-mail choices, and units' webhooks."""

import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.org.scoping import ScopedQuerySet


class NoticeKind(models.TextChoices):
    """What a notification is about; users choose by kind which ones also come by e-mail."""

    URGENT = "urgent", _("Urgent matter")
    INCIDENT = "incident", _("Emergency incident")
    ASSIGNED = "assigned", _("New assignment")
    DEADLINE_APPROACHING = "deadline_approaching", _("Deadline approaching")
    DEADLINE_DUE = "deadline_due", _("Deadline today")
    OVERDUE = "overdue", _("Overdue")
    REMINDER_SLIP = "reminder_slip", _("Reminder slip")
    PROGRESS_REPORT_REQUESTED = "progress_report_requested", _("Progress report requested")
    PROGRESS_REPORT_MISSING = "progress_report_missing", _("Progress report missing")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
    REOPENED = "reopened", _("Re-handling ordered")
    MEETING_TASK = "meeting_task", _("Meeting task assigned")
    MEETING_TASK_DUE_SOON = "meeting_task_due_soon", _("Meeting task due soon")
    MEETING_TASK_OVERDUE = "meeting_task_overdue", _("Meeting task overdue")
    MEETING_TASK_REOPENED = "meeting_task_reopened", _("Meeting task reopened")
    REPORT_DUE = "report_due", _("Periodic report due")
    HAZARD_REPORTED = "hazard_reported", _("Safety hazard reported")
    RECTIFICATION_OVERDUE = "rectification_overdue", _("Hazard rectification overdue")


# What reaches a user by e-mail until they choose otherwise.
DEFAULT_EMAIL_KINDS = frozenset({NoticeKind.URGENT, NoticeKind.OVERDUE})
# An urgent matter reaches its recipients at once on every channel they have (DESIGN.md §3):
# by e-mail whatever they chose, and through their units' webhooks.
EVERY_CHANNEL_KINDS = frozenset({NoticeKind.URGENT, NoticeKind.INCIDENT})


def kind_label(kind: str) -> str:
    try:
        return str(NoticeKind(kind).label)
    except ValueError:
        return kind


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=32)
    message = models.CharField(_("message"), max_length=300)
    # Where to act on it, when it is about something other than a case (an incident…).
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set once the e-mail copy went out, so a task delivered twice sends it once.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notices_unread")]

    def __str__(self) -> str:
        return self.message


class NotificationPreference(models.Model):
    """Which kinds of notification also reach a user by e-mail (every kind is shown in-app)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    email_kinds = models.JSONField(_("by e-mail"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


def validate_webhook_url(value: str) -> None:
    """Only http and https: anything else (file:, ftp:, javascript:) is refused with a reason."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(
            _("A webhook address must start with http:// or https:// (this one is “%(scheme)s”)."),
            code="scheme",
            params={"scheme": parts.scheme or _("none")},
        )
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError(
            _("This is not a complete web address, e.g. https://example.org/hooks/yimen."),
            code="invalid",
        ) from None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class UnitWebhook(models.Model):
    """An outgoing webhook of a unit: chosen events are POSTed there as signed JSON."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.CharField(_("address (URL)"), max_length=500, validators=[validate_webhook_url])
    # Kept as it is (not hashed): every delivery is signed with it.
    secret = models.CharField(_("secret"), max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    events = models.JSONField(_("events"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_path = "unit__jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["unit__name", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.unit} → {self.url}"

    def wants(self, kind: str) -> bool:
        return self.is_active and kind in self.events


class WebhookDelivery(models.Model):
    """One attempt to deliver one event to one webhook; retries are further rows with the
    same ``delivery_id`` (sent as ``X-Yimen-Delivery``, so a receiver can drop repeats)."""

    webhook = models.ForeignKey(
        UnitWebhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.UUIDField(_("delivery"), default=uuid.uuid4, db_index=True)
    event = models.CharField(_("event"), max_length=32)
    payload = models.JSONField(_("payload"))
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    tried_at = models.DateTimeField(_("tried at"), null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    next_try_at = models.DateTimeField(_("next try at"), null=True, blank=True)

    scope_path = "webhook__unit__jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["delivery_id", "attempt"], name="notices_delivery_attempt_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.attempt} → {self.webhook_id}"

    @property
    def succeeded(self) -> bool:
        return self.delivered_at is not None
