from django.db import migrations, models
import django.db.models.deletion

import yimen.search.models


def create_index(apps, schema_editor):
    from yimen.search.index import CREATE_SQL, rebuild

    for statement in CREATE_SQL.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)
    if schema_editor.connection.vendor in CREATE_SQL:
        rebuild(case_model=apps.get_model("cases", "Case"),
                event_model=apps.get_model("cases", "CaseEvent"))


def drop_index(apps, schema_editor):
    from yimen.search.index import CREATE_SQL, DROP_SQL

    if schema_editor.connection.vendor in CREATE_SQL:
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("cases", "0007_merges_and_links"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseIndex",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_index",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                (
                    "document",
                    yimen.search.models.DocumentField(
                        db_column="search_caseindex", editable=False
                    ),
                ),
            ],
            options={
                "db_table": "search_caseindex",
                "managed": False,
            },
        ),
        migrations.RunPython(create_index, drop_index),
    ]
