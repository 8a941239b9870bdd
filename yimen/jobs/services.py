"""Failed tasks: recorded when the last try fails, sent again or dismissed by an administrator."""

import json
import logging
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from yimen.audit.services import record
from yimen.org.permissions import can_manage_org

from .models import FailedTask

logger = logging.getLogger(__name__)

RETRIED = "retried"
DISMISSED = "dismissed"


def can_manage_jobs(user: Any) -> bool:
    """Failed tasks belong to no jurisdiction: only an administrator at the top of the tree."""
    return can_manage_org(user) and user.jurisdiction.parent_id is None


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def record_failure(
    sender: Any = None,
    task_id: str = "",
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> FailedTask | None:
    """``task_failure`` receiver: Celery sends it only once the retries are used up.

    It never raises: a broken record must not hide the failure it reports, so that is logged.
    """
    try:
        request = getattr(sender, "request", None)
        retries = getattr(request, "retries", 0) or 0
        return FailedTask.objects.create(
            task_name=getattr(sender, "name", "") or "?",
            task_id=task_id or "",
            args=_json_safe(list(args or [])),
            kwargs=_json_safe(dict(kwargs or {})),
            exception=f"{type(exception).__name__}: {exception}"[:2000] if exception else "",
            traceback=str(getattr(einfo, "traceback", "") or "")[:20000],
            tries=retries + 1,
        )
    except Exception:
        logger.exception("could not record the failure of task %s", task_id)
        return None


def send_again(name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Queue a task by name; through the task object when this process knows it (so the
    eager setting of tests and of ``CELERY_TASK_ALWAYS_EAGER`` applies)."""
    task = current_app.tasks.get(name)
    if task is not None:
        task.apply_async(args=args, kwargs=kwargs)
    else:
        current_app.send_task(name, args=args, kwargs=kwargs)


class QueueUnavailable(Exception):
    """The broker did not take the task; nothing was changed."""


def _claim(failed: FailedTask, *, actor: Any, resolution: str) -> bool:
    """Mark as handled, once: of two administrators clicking at once exactly one wins."""
    return bool(
        FailedTask.objects.filter(pk=failed.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor, resolution=resolution
        )
    )


def _audit(failed: FailedTask, *, actor: Any, resolution: str) -> None:
    with transaction.atomic():
        record(
            f"jobs.failed_task.{resolution}",
            failed,
            actor=actor,
            changes={"task": failed.task_name, "tries": failed.tries},
        )


def retry_failed(failed: FailedTask, *, actor: Any) -> bool:
    """Send the task again with its arguments; it gets a fresh set of tries.

    False when someone else already handled it. Raises ``QueueUnavailable`` (and leaves the
    record open) when the broker does not answer.
    """
    if not _claim(failed, actor=actor, resolution=RETRIED):
        return False
    try:
        send_again(failed.task_name, failed.args, failed.kwargs)
    except Exception as exc:
        logger.exception("could not queue %s again", failed.task_name)
        FailedTask.objects.filter(pk=failed.pk).update(
            resolved_at=None, resolved_by=None, resolution=""
        )
        raise QueueUnavailable(str(exc)) from exc
    _audit(failed, actor=actor, resolution=RETRIED)
    return True


def dismiss_failed(failed: FailedTask, *, actor: Any) -> bool:
    """Mark as handled without running it again (the cause was dealt with another way)."""
    with transaction.atomic():
        if not _claim(failed, actor=actor, resolution=DISMISSED):
            return False
        _audit(failed, actor=actor, resolution=DISMISSED)
    return True
