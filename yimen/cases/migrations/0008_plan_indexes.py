"""Partial indexes chosen from the plans at ten million cases, on PostgreSQL only (see 0004
for why not SQLite). bench/README, "Scale", has the plans before and after.

For "my work":
- the open urgent cases of the viewer's places: urgent ones are about one open case in a
  hundred, so PostgreSQL walked the open cases' index and threw the rest away (290 ms);
- the closed cases awaiting follow-up, by place and the day closed: a community's few
  thousand closed cases came from combining bitmaps of 47,000 and 870,000 rows.

For the nightly sweep, a range of ``closed_at`` among cases in a few end states:
- archiving walked every closed case's status entry (1.0 s);
- the retention rule scanned all cases for the parties to anonymise (3.9 s).
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
    "cases_closed_unarchived": "ON cases_case (closed_at) "
    "WHERE status IN ('closed', 'transferred_out')",
    "cases_closed_ended": "ON cases_case (closed_at) "
    "WHERE status IN ('closed', 'transferred_out', 'archived')",
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
