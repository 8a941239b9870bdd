from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yimen.open311 import keys


class Command(BaseCommand):
    help = (
        "Issue an Open311 api_key for a client and print it (only the key, on one line). "
        "The client is created if new; an existing client's previous key stops working."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("client_name")
        parser.add_argument(
            "--revoke", action="store_true", help="Deactivate the client's key instead."
        )

    def handle(self, *args: Any, client_name: str, revoke: bool, **options: Any) -> None:
        name = client_name.strip()
        if not name or len(name) > 100:
            raise CommandError("the client name must have 1 to 100 characters")
        if revoke:
            if not keys.revoke(name):
                raise CommandError(f"no active Open311 client named {name!r}")
            self.stderr.write(f"revoked the key of {name!r}")
            return
        self.stdout.write(keys.issue_key(name))
