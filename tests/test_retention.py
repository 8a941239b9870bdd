"""保存期限: parties of long-closed cases become anonymous; the cases and counts remain."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yimen.audit.models import Event
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category, Party, Status
from yimen.cases.retention import ANONYMOUS, anonymise_expired


def closed(w, *, days_ago, category="neighbour", status=Status.CLOSED):
    about = {"about_unit": w.police} if category == "staff_complaint" else {}
    case = wf.register_case(
        **about,
        actor=w.desk, title="邻里噪音", description="楼上夜间噪音。",
        category=Category.objects.get(code=category), channel="visit",
        jurisdiction=w.community_a,
        parties=[wf.NewParty("王芳", "applicant", "13812345678", "110101199001011234"),
                 wf.NewParty("李强", "respondent", "13900001111")],
    ).case  # fmt: skip
    closed_at = timezone.now() - timedelta(days=days_ago)
    Case.objects.filter(pk=case.pk).update(status=status, closed_at=closed_at)
    return case


def test_parties_of_a_case_closed_past_the_period_are_anonymised(cases_world, settings):
    settings.YIMEN_RETENTION_DAYS = 365
    old = closed(cases_world, days_ago=400)
    recent = closed(cases_world, days_ago=100)
    still_open = closed(cases_world, days_ago=400, status=Status.IN_PROGRESS)
    assert anonymise_expired() == 2
    for party in old.parties.all():
        assert (party.name, party.phone, party.id_number) == (ANONYMOUS, "", "")
        assert party.anonymised_at is not None
    assert set(old.parties.values_list("role", flat=True)) == {"applicant", "respondent"}
    assert recent.parties.filter(name="王芳").exists()
    assert still_open.parties.filter(name="王芳").exists()
    # The case and its statistics stay.
    assert Case.objects.filter(pk=old.pk, status=Status.CLOSED).exists()
    assert old.events.exists()
    event = Event.objects.get(action="privacy.parties.anonymised")
    assert event.changes["parties"] == 2 and event.changes["cases"] == [old.pk]
    assert anonymise_expired() == 0  # idempotent


def test_a_category_can_keep_its_parties_longer(cases_world, settings):
    settings.YIMEN_RETENTION_DAYS = 365
    settings.YIMEN_RETENTION_DAYS_BY_CATEGORY = {"staff_complaint": 5 * 365}
    complaint = closed(cases_world, days_ago=400, category="staff_complaint")
    dispute = closed(cases_world, days_ago=400, category="neighbour")
    anonymise_expired()
    assert complaint.parties.filter(name="王芳").exists()
    assert not dispute.parties.filter(name="王芳").exists()


@pytest.mark.parametrize("status", [Status.ARCHIVED, Status.TRANSFERRED_OUT])
def test_archived_and_transferred_cases_count_as_ended(cases_world, settings, status):
    settings.YIMEN_RETENTION_DAYS = 30
    case = closed(cases_world, days_ago=31, status=status)
    anonymise_expired()
    assert not Party.objects.filter(case=case, anonymised_at__isnull=True).exists()
