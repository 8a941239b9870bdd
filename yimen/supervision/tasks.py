"""The deadline sweep as a Celery task, for the beat schedule of a production worker."""

from typing import Any

from celery import shared_task

from .sweep import run_sweep


@shared_task(name="supervision.sweep")
def sweep() -> dict[str, Any]:
    """One sweep for today; idempotent, so a retried or doubled delivery raises nothing twice."""
    return run_sweep().as_dict()
