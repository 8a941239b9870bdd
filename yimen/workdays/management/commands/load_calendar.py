"""``manage.py load_calendar [YEAR …]``: load published years from the chinesecalendar package.

Run after upgrading the package (it gains a year each winter). Without arguments it loads
every year the package has and the database lacks, so running it twice changes nothing.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yimen.workdays.models import CalendarYear
from yimen.workdays.services import load_year_from_package
from yimen.workdays.sources import package_years


class Command(BaseCommand):
    help = "Load the State Council holiday schedule from the chinesecalendar package."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "years", nargs="*", type=int, help="years to load (default: every missing year)"
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="load the given years again even if already loaded (days entered by an "
            "administrator are kept)",
        )

    def handle(self, *args: Any, years: list[int], reload: bool, **options: Any) -> None:
        available = package_years()
        covered = f"{available.start}–{available.stop - 1}"
        loaded = set(CalendarYear.objects.values_list("year", flat=True))
        missing = [y for y in years if y not in available]
        wanted = years or [y for y in available if y not in loaded]
        done = 0
        for year in wanted:
            if year not in available:
                continue
            if year in loaded and not reload:
                self.stdout.write(f"{year}: already loaded, skipped (use --reload to load again).")
                continue
            count = load_year_from_package(year)
            done += 1
            self.stdout.write(self.style.SUCCESS(f"{year}: loaded {count} special days."))
        if not years and not done:
            self.stdout.write(f"Every year the package has ({covered}) is already loaded.")
        if missing:
            listed = ", ".join(str(y) for y in missing)
            raise CommandError(
                f"The chinesecalendar package has no schedule for {listed} (it covers "
                f"{covered}). Upgrade the package, or enter the year by hand on the calendar "
                "page once the State Council has published it.",
                returncode=1,
            )
