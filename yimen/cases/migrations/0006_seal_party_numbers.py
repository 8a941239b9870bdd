"""Parties' phone and ID numbers sealed at rest (``yimen.crypto``), existing rows included."""

from django.db import migrations

import yimen.crypto
from yimen.crypto import unseal


def seal_existing(apps, schema_editor):
    """Rows written before this migration hold plain numbers: save them sealed."""
    Party = apps.get_model("cases", "Party")
    for party in Party.objects.only("pk", "phone", "id_number").iterator(chunk_size=2000):
        Party.objects.filter(pk=party.pk).update(phone=party.phone, id_number=party.id_number)


def unseal_all(apps, schema_editor):
    """Back to plain numbers, written past the field so they are not sealed again."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, phone, id_number FROM cases_party")
        for pk, phone, id_number in cursor.fetchall():
            cursor.execute(
                "UPDATE cases_party SET phone = %s, id_number = %s WHERE id = %s",
                [unseal(phone, "party.phone"), unseal(id_number, "party.id_number"), pk],
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_party_anonymised_at")]

    operations = [
        migrations.AlterField(
            model_name="party",
            name="id_number",
            field=yimen.crypto.EncryptedCharField(
                blank=True, max_length=160, purpose="party.id_number", verbose_name="ID number"
            ),
        ),
        migrations.AlterField(
            model_name="party",
            name="phone",
            field=yimen.crypto.EncryptedCharField(
                blank=True, max_length=160, purpose="party.phone", verbose_name="phone"
            ),
        ),
        migrations.RunPython(seal_existing, unseal_all),
    ]
