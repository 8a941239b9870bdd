from datetime import date

from django.core.management.base import BaseCommand, CommandError

from yimen.supervision.sweep import run_sweep


class Command(BaseCommand):
    help = (
        "Run the deadline sweep once (idempotent): remind units of approaching, due and overdue "
        "cases, flag missing progress reports, archive closed cases past retention."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="sweep as if it were this day (default: today in the local time zone)",
        )

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--today: not a date: {options['today']}") from exc
        result = run_sweep(today)
        self.stdout.write(
            f"sweep {result.today}: {result.approaching} approaching, {result.due} due today, "
            f"{result.overdue} overdue, {result.progress_missing} progress reports missing, "
            f"{result.archived} cases archived, {result.notified} notifications"
        )
