"""``manage.py import_jurisdictions PATH``: load the tree from a CSV file, all or nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yimen.org import tree


class Command(BaseCommand):
    help = (
        "Create or update jurisdictions from a CSV file with the columns "
        "code,name,level,parent_code[,polygon]. If any row is wrong, every problem is "
        "printed, nothing is written and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the CSV file (UTF-8 or GB18030)")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(why)s") % {"path": path, "why": exc.strerror}
            ) from None
        try:
            result = tree.import_csv(tree.decode_csv(data), actor=None)
        except tree.TreeError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(_("Nothing was imported from %(path)s.") % {"path": path}) from None
        self.stdout.write(
            _("Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
