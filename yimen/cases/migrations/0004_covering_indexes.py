"""Covering indexes for the dashboard's counts, on PostgreSQL only.

Each figure of ``yimen.dashboard.figures`` counts one range of one column (open cases by
deadline, cases by the day received or resolved, follow-ups by day) within the viewer's
places and without the cases they are recused from. With the place, recusal and the
grouped columns in the index, PostgreSQL answers each count from the index alone (an
index-only scan) instead of visiting every matching row. SQLite has no INCLUDE and needs
no help at a township's scale, so nothing is created there; the indexes are not in the
models' Meta because Django's check warns about INCLUDE on SQLite.
"""

from django.db import migrations

OPEN = ("registered", "returned", "escalated", "routed", "accepted", "in_progress", "extended",
        "reopened")  # fmt: skip
RECUSAL = "id, jurisdiction_id, about_staff_id, about_unit_id"
INDEXES = {
    "cases_open_cover": "ON cases_case (deadline) "
    f"INCLUDE ({RECUSAL}, lead_unit_id) "
    f"WHERE status IN ({', '.join(repr(s) for s in OPEN)})",
    "cases_received_cover": "ON cases_case (received_at) "
    f"INCLUDE ({RECUSAL}, category_id, lead_unit_id, status)",
    "cases_resolved_cover": "ON cases_case (resolved_at) "
    f"INCLUDE ({RECUSAL}, status, deadline) WHERE deadline IS NOT NULL",
    "cases_followup_at_cover": "ON cases_followup (at) INCLUDE (case_id, satisfaction)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_followup_by_resident")]
    operations = [migrations.RunPython(create, drop)]
