import os

from django.core.management.base import BaseCommand
from django.db import transaction

from yimen.cases.routing import seed_default_rules
from yimen.demo import township
from yimen.demo.cases import load_demo_cases
from yimen.emergency.demo import load_demo_emergency
from yimen.mediation.demo import load_demo_rosters
from yimen.org import tree
from yimen.org.models import Jurisdiction, Unit, User

DEFAULT_PASSWORD = "demo12345"  # noqa: S105 - the documented demo password


class Command(BaseCommand):
    help = "Load the demo township (idempotent: what exists is kept as it is)."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        with transaction.atomic():
            existing = set(Jurisdiction.objects.values_list("code", flat=True))
            result = tree.import_rows(
                [r for r in township.tree_rows() if r["code"] not in existing], actor=None
            )
            nodes = {j.code: j for j in Jurisdiction.objects.all()}
            units_created = 0
            for code, name, kind, phone, address in township.unit_rows():
                _, created = Unit.objects.get_or_create(
                    jurisdiction=nodes[code],
                    name=name,
                    defaults={"kind": kind, "phone": phone, "address": address},
                )
                units_created += created
            users_created = 0
            for username, full_name, role, code, unit_name in township.USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "display_name": full_name,
                        "role": role,
                        "jurisdiction": nodes[code],
                        "unit": Unit.objects.filter(name=unit_name).first() if unit_name else None,
                    },
                )
                if created:
                    user.set_password(password)
                    user.save(update_fields=["password"])
                users_created += created
            rules = seed_default_rules(nodes[township.STREET["code"]])
            cases = load_demo_cases()
            load_demo_rosters()
            load_demo_emergency(nodes[township.STREET["code"]])
        self.stdout.write(
            f"demo township: {result.created} jurisdictions, {units_created} units, "
            f"{users_created} users, {rules} routing rules, {cases} cases created"
        )
        self.stdout.write(
            "demo logins (password %s):"
            % ("from DEMO_PASSWORD" if "DEMO_PASSWORD" in os.environ else password)
        )
        for username, full_name, role, code, _unit in township.USERS:
            self.stdout.write(f"  {username:<11} {full_name}  {role:<10} {nodes[code].name}")
