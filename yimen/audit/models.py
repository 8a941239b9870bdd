"""The append-only, hash-chained audit log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.org.scoping import ScopedQuerySet


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class Event(models.Model):
    """One change to an object, or one view of full personal data.

    ``hash`` is SHA-256 over ``prev_hash`` and this event's canonical content, so editing,
    deleting or reordering any event breaks every hash after it (``manage.py verify_audit``).
    """

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept beside the foreign key so the hashed content never depends on another table.
    actor_name = models.CharField(_("by (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # The jurisdiction path of the object, so the log is scoped like everything else;
    # empty for system-wide changes such as the holiday calendar.
    path = models.CharField(max_length=255, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    scope_path = "path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")


class ChainHead(models.Model):
    """A single row locked by every append, so two writers never fork the chain."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash
