"""Residents' phone and ID numbers are sealed in the database and found by exact match."""

import pytest
from django.db import connection

from yimen.cases import workflow as wf
from yimen.cases.models import Category, Party
from yimen.crypto import PREFIX, seal, unseal

PHONE, ID_NUMBER = "13812345678", "11010119900101123X"


@pytest.fixture
def party(cases_world):
    case = wf.register_case(
        actor=cases_world.desk, title="楼上漏水", description="漏水。",
        category=Category.objects.get(code="neighbour"), channel="visit",
        jurisdiction=cases_world.community_a,
        parties=[wf.NewParty("王芳", "applicant", PHONE, ID_NUMBER.lower())],
    ).case  # fmt: skip
    return case.parties.get()


def raw(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, id_number FROM cases_party WHERE id = %s", [pk])
        return cursor.fetchone()


def test_the_database_holds_no_number(party):
    phone, id_number = raw(party.pk)
    assert phone.startswith(PREFIX) and PHONE not in phone
    assert id_number.startswith(PREFIX) and ID_NUMBER not in id_number.upper()


def test_the_application_reads_and_finds_the_numbers(party):
    again = Party.objects.get(pk=party.pk)
    assert (again.phone, again.id_number) == (PHONE, ID_NUMBER)
    assert Party.objects.filter(phone=PHONE).get() == party
    assert Party.objects.filter(id_number=ID_NUMBER).get() == party
    assert not Party.objects.filter(phone__contains="1381").exists()  # no partial search


def test_a_phone_sealed_as_a_phone_cannot_be_read_as_an_id_number():
    from cryptography.exceptions import InvalidTag

    sealed = seal(PHONE, "party.phone")
    assert unseal(sealed, "party.phone") == PHONE
    with pytest.raises(InvalidTag):
        unseal(sealed, "party.id_number")


def test_another_key_reads_nothing(settings):
    from cryptography.exceptions import InvalidTag

    sealed = seal(PHONE, "party.phone")
    settings.YIMEN_DATA_KEY = "A" * 86 + "=="
    with pytest.raises(InvalidTag):
        unseal(sealed, "party.phone")


def test_plain_values_written_before_sealing_still_read():
    assert unseal(PHONE, "party.phone") == PHONE
    assert seal("", "party.phone") == ""
