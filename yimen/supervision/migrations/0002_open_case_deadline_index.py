"""An index on the cases table for the deadline sweep and the supervisor's desk.

Partial (open cases only, so it stays small however many cases are closed or archived) and,
on PostgreSQL, covering: the sweep's ``INSERT … SELECT`` reads id, deadline, lead unit and
place from the index alone instead of visiting a table page per case. It is created here,
by the app that needs it, as SQL the model state does not track; its statuses are those of
``yimen.cases.workflow.OPEN`` today. Should that set change, the planner simply stops using
it and the sweep falls back to the ``(status, deadline)`` index — slower, equally right.
"""

from django.db import migrations

NAME = "supervision_open_case_deadline"
OPEN = ("accepted", "escalated", "extended", "in_progress", "registered", "reopened",
        "returned", "routed")  # fmt: skip


def create(apps, schema_editor):
    statuses = ", ".join(f"'{s}'" for s in OPEN)
    include = " INCLUDE (id, lead_unit_id, jurisdiction_id)"
    covering = include if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {NAME} ON cases_case (deadline){covering} "
        f"WHERE status IN ({statuses}) AND deadline IS NOT NULL"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_default_categories"),
        ("supervision", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
