"""The reporter's contact on an incident is sealed at rest like parties' numbers."""

from django.db import migrations

import yimen.crypto
from yimen.crypto import unseal


def seal_existing(apps, schema_editor):
    """Rows written before this migration hold the plain contact: save them sealed."""
    Incident = apps.get_model("emergency", "Incident")
    rows = Incident.objects.exclude(reporter_contact="").only("pk", "reporter_contact")
    for incident in rows.iterator(chunk_size=2000):
        Incident.objects.filter(pk=incident.pk).update(reporter_contact=incident.reporter_contact)


def unseal_all(apps, schema_editor):
    """Back to the plain contact, written past the field so it is not sealed again."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, reporter_contact FROM emergency_incident")
        for pk, contact in cursor.fetchall():
            cursor.execute(
                "UPDATE emergency_incident SET reporter_contact = %s WHERE id = %s",
                [unseal(contact, "incident.reporter_contact")[:50], pk],
            )


class Migration(migrations.Migration):
    dependencies = [("emergency", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="incident",
            name="reporter_contact",
            field=yimen.crypto.EncryptedCharField(
                blank=True,
                max_length=320,
                purpose="incident.reporter_contact",
                verbose_name="reporter's contact",
            ),
        ),
        migrations.RunPython(seal_existing, unseal_all),
    ]
