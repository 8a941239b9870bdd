"""Two partial indexes for the nightly sweep, on PostgreSQL only (see 0004 for why not SQLite).

At ten million cases (bench/README, "Scale") the sweep spent its time in two scans:

- archiving looked for closed cases past the archive delay by walking every closed case's
  status entry (1.0 s);
- the retention rule looked for parties of cases closed before the retention period with a
  sequential scan of all cases (3.9 s).

Both ask for a range of ``closed_at`` among cases in a few end states.
"""

from django.db import migrations

INDEXES = {
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
    dependencies = [("cases", "0008_inbox_indexes")]
    operations = [migrations.RunPython(create, drop)]
