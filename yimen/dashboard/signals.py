"""The roll-up follows every save of a case and of its timeline, and every move in the tree,
in the same transaction (see ``rollups``). Bulk writes send no signals: ``manage.py
rebuild_rollups``."""

from typing import Any

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from yimen.cases.models import Case, CaseEvent
from yimen.org.models import subtree_moved

from . import rollups

# A save naming only other fields (a title, a version) changes nothing the roll-up counts.
COUNTED_FIELDS = frozenset(
    {"status", "received_at", "resolved_at", "deadline", "jurisdiction", "jurisdiction_id",
     "category", "category_id"}
)  # fmt: skip


@receiver(post_save, sender=Case, dispatch_uid="dashboard.case_saved")
def case_saved(
    sender: Any,
    instance: Case,
    created: bool = False,
    raw: bool = False,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    if raw:  # loaddata: the fixture's rows, counted by the command afterwards
        return
    if created:
        rollups.added(instance)
    elif update_fields is None or COUNTED_FIELDS & set(update_fields):
        rollups.sync([instance.pk])


@receiver(post_save, sender=CaseEvent, dispatch_uid="dashboard.event_saved")
def event_saved(sender: Any, instance: CaseEvent, raw: bool = False, **kwargs: Any) -> None:
    # Every workflow step writes its event right after changing the case, so this also
    # catches the changes made by a queryset update (status, dates, deadline, category).
    if not raw:
        rollups.sync([instance.case_id])


@receiver(pre_delete, sender=Case, dispatch_uid="dashboard.case_deleted")
def case_deleted(sender: Any, instance: Case, **kwargs: Any) -> None:
    rollups.forget([instance.pk])


@receiver(subtree_moved, dispatch_uid="dashboard.subtree_moved")
def tree_changed(sender: Any, node: int, old_path: str, new_path: str, **kwargs: Any) -> None:
    rollups.moved(node, old_path, new_path)
