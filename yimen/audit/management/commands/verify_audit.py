from django.core.management.base import BaseCommand, CommandError

from yimen.audit.models import Event
from yimen.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 naming the first broken event."

    def handle(self, *args, **options):
        broken = verify_chain()
        if broken is not None:
            where = f"event #{broken.event_id}" if broken.event_id else "end of chain"
            raise CommandError(f"audit chain broken at {where}: {broken.reason}")
        self.stdout.write(f"audit chain intact: {Event.objects.count()} events")
