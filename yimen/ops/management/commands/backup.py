from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yimen.ops.backup import BackupError, backup, describe, read_manifest


class Command(BaseCommand):
    help = "Write the database and the media folder to one archive (restore with `restore`)."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default="var/backups", help="where to write it")

    def handle(self, *args, **options):
        try:
            archive = backup(Path(options["folder"]))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{archive}: {describe(read_manifest(archive))}")
