from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yimen.api.tokens import issue_token
from yimen.org.models import User


class Command(BaseCommand):
    help = "Make an API token for a staff account and print it (only the token, on one line)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for (shown to admins).")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no staff account named {username!r}")
        if not user.is_active:
            raise CommandError(f"the account {username!r} is deactivated")
        self.stdout.write(issue_token(user, name=name or "manage.py apitoken"))
