from typing import Any

from django.core.management.base import BaseCommand

from yimen.search.index import rebuild


class Command(BaseCommand):
    help = "Rebuild the case search index from the cases (after a bulk load or a restore)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="cases per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]

        def progress(done: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"{done} cases indexed")

        done = rebuild(batch=max(options["batch"], 1), progress=progress)
        self.stdout.write(f"search index rebuilt: {done} cases")
