"""Two partial indexes for "my work", on PostgreSQL only (see 0004 for why not SQLite).

- The open urgent cases of the viewer's places: urgent ones are about one open case in a
  hundred, so PostgreSQL walked the open cases' index and threw the rest away (290 ms for
  a street at ten million cases, bench/README "Scale").
- The closed cases awaiting follow-up, by place and the day closed: a community's few
  thousand closed cases were found by combining two bitmaps of 47,000 and 870,000 rows.
"""

from django.db import migrations

OPEN = ("registered", "returned", "escalated", "routed", "accepted", "in_progress", "extended",
        "reopened")  # fmt: skip
INDEXES = {
    "cases_urgent_open": "ON cases_case (deadline) "
    "INCLUDE (id, jurisdiction_id, about_staff_id, about_unit_id) "
    f"WHERE is_urgent AND status IN ({', '.join(repr(s) for s in OPEN)})",
    "cases_closed_by_place": "ON cases_case (jurisdiction_id, closed_at) "
    "INCLUDE (id, about_staff_id, about_unit_id) WHERE status = 'closed'",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, definition in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_merges_and_links")]
    operations = [migrations.RunPython(create, drop)]
