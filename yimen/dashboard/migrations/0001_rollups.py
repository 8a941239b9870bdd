"""The dashboard's daily roll-up (``yimen.dashboard.rollups``), counted from the cases there
are when it is created."""

import django.db.models.deletion
from django.db import migrations, models


def count_existing(apps, schema_editor):
    from yimen.dashboard.rollups import rebuild

    rebuild(case_model=apps.get_model("cases", "Case"))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cases', '0007_merges_and_links'),
        ('org', '0002_duty_roster'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountedAs',
            fields=[
                ('case', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='counted', serialize=False, to='cases.case')),
                ('received_on', models.DateField(null=True)),
                ('resolved_on', models.DateField(null=True)),
                ('on_time', models.BooleanField(default=False)),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='cases.category')),
                ('jurisdiction', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='org.jurisdiction')),
            ],
        ),
        migrations.CreateModel(
            name='DailyCount',
            fields=[
                ('pk', models.CompositePrimaryKey('jurisdiction', 'day', 'category', blank=True, editable=False, primary_key=True, serialize=False)),
                ('day', models.DateField()),
                ('received', models.IntegerField(default=0)),
                ('resolved', models.IntegerField(default=0)),
                ('on_time', models.IntegerField(default=0)),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.category')),
                ('jurisdiction', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.jurisdiction')),
            ],
        ),
        migrations.CreateModel(
            name='DailyPlace',
            fields=[
                ('pk', models.CompositePrimaryKey('jurisdiction', 'day', blank=True, editable=False, primary_key=True, serialize=False)),
                ('day', models.DateField()),
                ('received', models.IntegerField(default=0)),
                ('jurisdiction', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.jurisdiction')),
            ],
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
