"""Train the category-suggestion model on the center's closed cases."""

from typing import Any

from django.core.management.base import BaseCommand

from yimen.triage.models import RunStatus
from yimen.triage.services import model_path, train_from_cases


class Command(BaseCommand):
    help = "Train the category-suggestion model on the closed cases (keyword rules until then)."

    def handle(self, *args: Any, **options: Any) -> None:
        run = train_from_cases()
        summary = f"{run.status}: {run.samples} cases, {run.categories} categories, {run.seconds} s"
        if run.status == RunStatus.TRAINED:
            self.stdout.write(f"{summary} → {model_path()}")
        else:
            self.stdout.write(f"{summary}. {run.message}")
