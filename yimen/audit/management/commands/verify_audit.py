from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yimen.audit.models import Event
from yimen.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 naming the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            # CommandError makes manage.py print the message on stderr and exit with 1.
            where = f"event #{broken.event_id}" if broken.event_id is not None else "its end"
            raise CommandError(f"audit chain broken at {where}: {broken.reason}")
        self.stdout.write(f"audit chain intact: {Event.objects.count()} events")
