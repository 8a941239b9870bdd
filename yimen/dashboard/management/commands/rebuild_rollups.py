from typing import Any

from django.core.management.base import BaseCommand

from yimen.dashboard.rollups import rebuild


class Command(BaseCommand):
    help = "Recount the dashboard's daily roll-up from the cases (after a bulk load or a restore)."

    def handle(self, *args: Any, **options: Any) -> None:
        cases, days = rebuild()
        self.stdout.write(f"roll-ups rebuilt: {cases} cases, {days} day rows")
