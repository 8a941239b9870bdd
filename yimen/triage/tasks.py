"""Nightly training of the category model, on the worker's beat schedule."""

from celery import shared_task

from .services import train_from_cases


@shared_task(name="triage.train")
def train() -> str:
    """Retrain on the closed cases; the run is recorded whatever its outcome."""
    return train_from_cases().status
