import tarfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yimen.ops.backup import BackupError, describe, read_manifest, restore


class Command(BaseCommand):
    help = "Put back the database and the media folder from an archive made by `backup`."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar.gz written by `backup`")
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing")

    def handle(self, *args, **options):
        archive = Path(options["archive"])
        try:
            manifest = read_manifest(archive)
        except (OSError, KeyError, ValueError, tarfile.TarError) as error:
            raise CommandError(f"{archive} is not a Yimen backup: {error}") from error
        self.stdout.write(f"This replaces the database and media with: {describe(manifest)}")
        if not options["yes"] and input("Type yes to go on: ").strip() != "yes":
            raise CommandError("Nothing was changed.")
        try:
            restore(archive)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write("Restored.")
