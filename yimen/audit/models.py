"""The append-only, hash-chained audit log."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yimen.org.scoping import ScopedQuerySet


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class EventQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    def for_user(self, user: Any) -> "EventQuerySet":
        """The user's subtree, plus system-wide events (empty path) for a root's staff.

        A change to the holiday calendar concerns every jurisdiction but belongs to none, so
        only someone responsible for a whole tree sees it.
        """
        path = getattr(user, "visible_path", None) if user.is_authenticated else None
        if path and user.jurisdiction.parent_id is None:
            return self.filter(Q(path__startswith=path) | Q(path=""))
        return super().for_user(user)


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
    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object")]
        constraints = [
            # Each event is the successor of at most one: a fork of the chain cannot be stored,
            # even by a writer that bypassed the chain head's lock.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_event_unique_prev_hash")
        ]

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
