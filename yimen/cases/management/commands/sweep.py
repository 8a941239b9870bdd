from django.core.management.base import BaseCommand

from yimen.cases.workflow import archive_closed


class Command(BaseCommand):
    help = "Run the periodic sweep once (idempotent): archive closed cases past retention."

    def handle(self, *args, **options):
        archived = archive_closed()
        self.stdout.write(f"sweep: {archived} cases archived")
