"""A case's index row follows every save of the case and of its timeline, in the same
transaction (see ``index``). Bulk writes send no signals: ``manage.py reindex_search``."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from yimen.cases.models import Case, CaseEvent

from .index import case_changed

INDEXED_FIELDS = frozenset({"title", "description", "result"})


@receiver(post_save, sender=Case, dispatch_uid="search.case_saved")
def case_saved(
    sender: Any, instance: Case, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw:  # loaddata: the fixture's rows, indexed by the command afterwards
        return
    if update_fields is not None and not INDEXED_FIELDS & set(update_fields):
        return
    case_changed(instance.pk)


@receiver(post_save, sender=CaseEvent, dispatch_uid="search.event_saved")
def event_saved(sender: Any, instance: CaseEvent, raw: bool = False, **kwargs: Any) -> None:
    # Every step of the workflow writes its event right after changing the case (title,
    # account, result), so this also catches changes made by a queryset update.
    if not raw:
        case_changed(instance.case_id)
