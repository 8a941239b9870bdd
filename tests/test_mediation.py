"""People's mediation: committees, consent, notice, sessions, agreements, outcomes, visits.

The rules are tested through ``yimen.mediation.services`` (what every page calls), the pages
through the test client as the committee's mediator, another community's mediator and the
director. Times are set relative to the case's registration, which the fixture moves ten
days back so that sessions can be dated between it and now.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yimen.audit.models import Event
from yimen.cases import workflow as wf
from yimen.cases.models import Case, CaseEvent, Category, Status
from yimen.mediation import services
from yimen.mediation.models import (
    AgreementDocument,
    AgreementStatus,
    CommitteeMember,
    FollowUpVisit,
    Mediation,
    NextPath,
    Outcome,
    Performed,
    Session,
)
from yimen.notices.models import Notification

from .factories import UserFactory
from .mediation_support import (
    ID_NUMBER,
    PDF,
    PHONE,
    TEXT,
    ago,
    consented,
    dispute,
    held,
    member,
    opened,
    parties,
    ready,
    signed,
)
from .pdf_support import pdf_text

pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


# --- committees --------------------------------------------------------------------------------


def test_a_committee_of_three_with_a_woman_and_a_chair_keeps_the_rules():
    assert services.composition_problems([member("chair", "female"), member(), member()]) == []


@pytest.mark.parametrize(
    ("members", "rule"),
    [
        ([member("chair", "female"), member()], "3 to 9"),
        ([member("chair", "female"), member()], "odd"),
        ([member("chair", "female"), *[member() for _ in range(3)]], "odd"),
        ([member("chair", "female"), *[member() for _ in range(10)]], "3 to 9"),
        ([member("chair"), member(), member()], "woman"),
        ([member(gender="female"), member(), member()], "one chair"),
        ([member("chair", "female"), member("chair"), member()], "one chair"),
    ],
)
def test_each_broken_composition_rule_is_named(members, rule):
    problems = services.composition_problems(members)
    assert any(rule in p for p in problems), problems


def test_nine_is_the_largest_committee():
    nine = [member("chair", "female"), *[member() for _ in range(8)]]
    assert services.composition_problems(nine) == []
    assert services.composition_problems([*nine, member(), member()])


def rows_of(members, **changes):
    return [
        services.RosterRow(
            name=m.name, gender=m.gender, role=m.role, account=m.account, member=m,
            is_active=changes.get(m.name, m.is_active),
        )
        for m in members
    ]  # fmt: skip


def test_a_roster_that_breaks_a_rule_is_refused_and_nothing_changes(mw):
    members = list(mw.committee_a.members.all())
    with pytest.raises(wf.Invalid) as refused:
        services.save_roster(mw.committee_a, actor=mw.admin, rows=rows_of(members, 赵丽=False))
    assert "odd" in refused.value.message
    assert CommitteeMember.objects.get(pk=mw.member_f.pk).is_active
    without_women = rows_of(members, 赵丽=False, 张秀英=False)
    with pytest.raises(wf.Invalid) as refused:
        services.save_roster(mw.committee_a, actor=mw.admin, rows=without_women)
    assert "woman" in refused.value.message and "chair" in refused.value.message


def test_the_chair_may_edit_the_roster_and_it_is_audited(mw):
    members = list(mw.committee_a.members.all())
    rows = rows_of(members, 孙明=False, 陈志强=False)
    services.save_roster(mw.committee_a, actor=mw.mediator, rows=rows, phone="0571-1234")
    assert mw.committee_a.members.filter(is_active=True).count() == 3
    mw.committee_a.refresh_from_db()
    assert mw.committee_a.phone == "0571-1234"
    assert Event.objects.filter(action="mediation.committee.roster_saved").count() == 1


def test_only_an_administrator_or_the_chair_edits_a_roster(mw):
    plain = UserFactory(username="med2", role="mediator", jurisdiction=mw.community_a,
                        unit=mw.committee_a)  # fmt: skip
    rows = rows_of(list(mw.committee_a.members.all()))
    for user in (plain, mw.desk, mw.mediator_b):
        with pytest.raises(wf.NotAllowed):
            services.save_roster(mw.committee_a, actor=user, rows=rows)


def test_the_roster_page_refuses_a_broken_roster_naming_the_rule(mw, client_for):
    members = list(mw.committee_a.members.all())
    data = {
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "30",
        "phone": "",
        "address": "",
    }
    for i, m in enumerate(members):
        data.update({f"members-{i}-member": m.pk, f"members-{i}-name": m.name,
                     f"members-{i}-gender": m.gender, f"members-{i}-role": m.role})  # fmt: skip
        if m.name != "孙明":
            data[f"members-{i}-is_active"] = "on"
    client = client_for(mw.admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(f"/mediation/committees/{mw.committee_a.pk}/", data)
    assert response.status_code == 400
    assert "odd number" in response.content.decode()
    assert CommitteeMember.objects.get(pk=mw.member_x.pk).is_active
    assert (
        client_for(mw.mediator_b).get(f"/mediation/committees/{mw.committee_a.pk}/").status_code
        == 404
    )
    assert (
        client_for(mw.desk).post(f"/mediation/committees/{mw.committee_a.pk}/", data).status_code
        == 403
    )


# --- opening, consent and notice ---------------------------------------------------------------


def test_the_committee_opens_a_mediation_and_accepts_the_routed_case(mw):
    case = dispute(mw)
    assert services.can_open_mediation(mw.mediator, case)
    assert not services.can_open_mediation(mw.mediator_b, case)
    assert not services.can_open_mediation(mw.director, case)
    mediation = services.open_mediation(case, actor=mw.mediator)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert mediation.committee == mw.committee_a
    assert mediation.number.startswith("TJ-")
    assert list(mediation.mediators.all()) == [mw.chair]  # the mediator's own roster line
    assert case.events.filter(action="mediation_opened").exists()
    with pytest.raises(wf.WorkflowError):
        services.open_mediation(case, actor=mw.mediator)


def test_no_session_before_the_applicant_consents(mw):
    mediation = opened(mw)
    services.record_rights_notice(
        mediation, actor=mw.mediator, given_by=mw.chair, given_at=ago(days=6)
    )
    with pytest.raises(wf.WorkflowError) as refused:
        held(mw, mediation)
    assert "consent" in refused.value.message
    with pytest.raises(wf.WorkflowError):
        services.schedule_session(mediation, actor=mw.mediator, starts_at=ago(days=-1),
                                  place="调解室", mediators=[mw.chair])  # fmt: skip
    assert not Session.objects.exists()
    _, respondent = parties(mediation.case)
    services.record_consent(mediation, actor=mw.mediator, party=respondent, decision="given")
    with pytest.raises(wf.WorkflowError):
        held(mw, mediation)  # the respondent's word is not the applicant's


def test_no_session_before_the_parties_are_told_of_their_right_to_go_to_court(mw):
    mediation = consented(mw)
    with pytest.raises(wf.WorkflowError) as refused:
        held(mw, mediation)
    assert "right to go to court" in refused.value.message
    assert not Session.objects.exists()
    services.record_rights_notice(
        mediation, actor=mw.mediator, given_by=mw.chair, given_at=ago(days=4)
    )
    with pytest.raises(wf.Invalid) as refused:
        held(mw, mediation, starts_at=ago(days=5))  # before the notice
    assert "starts_at" in refused.value.fields
    held(mw, mediation, starts_at=ago(days=3))
    mediation.refresh_from_db()
    assert mediation.rights_notice_given_by == mw.chair
    assert mediation.rights_notice_recorded_by == mw.mediator


def test_a_party_may_withdraw_and_mediation_stops(mw):
    mediation = ready(mw)
    held(mw, mediation)
    _, respondent = parties(mediation.case)
    services.record_consent(mediation, actor=mw.mediator, party=respondent, decision="withdrawn",
                            note="不愿继续调解")  # fmt: skip
    assert "李强" in services.stop_reason(mediation)
    with pytest.raises(wf.WorkflowError):
        held(mw, mediation, starts_at=ago(days=2))
    draft = services.save_agreement_draft(mediation, actor=mw.mediator, text=TEXT)
    with pytest.raises(wf.WorkflowError):
        services.sign_agreement(draft, actor=mw.mediator)
    assert Session.objects.count() == 1


def test_consent_records_keep_who_and_when(mw):
    mediation = opened(mw)
    applicant, _ = parties(mediation.case)
    services.record_consent(mediation, actor=mw.mediator, party=applicant, decision="given")
    with pytest.raises(wf.WorkflowError):
        services.record_consent(mediation, actor=mw.mediator, party=applicant, decision="given")
    with pytest.raises(wf.Invalid):
        services.record_consent(mediation, actor=mw.mediator, party=applicant, decision="refused")
    item = services.consent_state(mediation)[applicant.pk]
    assert item.recorded_by == mw.mediator and item.at is not None
    other = wf.register_case(actor=mw.desk, title="噪音", description="夜间噪音",
                             category=Category.objects.get(code="neighbour"), channel="call",
                             jurisdiction=mw.community_a,
                             parties=[wf.NewParty("别人", "applicant")]).case  # fmt: skip
    with pytest.raises(wf.Invalid):
        services.record_consent(mediation, actor=mw.mediator, party=other.parties.get(),
                                decision="given")  # fmt: skip


# --- sessions ----------------------------------------------------------------------------------


def test_a_session_dated_before_the_case_was_registered_is_refused(mw):
    mediation = ready(mw)
    with pytest.raises(wf.Invalid) as refused:
        held(mw, mediation, starts_at=ago(days=11))
    assert "registered" in refused.value.fields["starts_at"]
    with pytest.raises(wf.Invalid):
        services.schedule_session(mediation, actor=mw.mediator, starts_at=ago(days=12),
                                  place="调解室", mediators=[mw.chair])  # fmt: skip
    assert not Session.objects.exists()


def test_a_session_in_the_future_is_scheduled_not_recorded(mw):
    mediation = ready(mw)
    with pytest.raises(wf.Invalid):
        held(mw, mediation, starts_at=ago(days=-2))
    planned = services.schedule_session(mediation, actor=mw.mediator, starts_at=ago(days=-2),
                                        place="调解室", mediators=[mw.chair])  # fmt: skip
    assert not planned.is_held
    # Once it has taken place it is recorded on the same line.
    Session.objects.filter(pk=planned.pk).update(starts_at=ago(hours=1))
    done = held(mw, mediation, session=planned, starts_at=ago(hours=1))
    assert done.pk == planned.pk and done.is_held
    with pytest.raises(wf.WorkflowError):
        held(mw, mediation, session=planned, starts_at=ago(hours=1))


def test_session_documents_are_the_cases_attachments(mw):
    mediation = ready(mw)
    session = held(mw, mediation, files=[SimpleUploadedFile("笔录.pdf", PDF, "application/pdf")])
    attachment = session.attachments.get()
    assert attachment.case == mediation.case
    assert attachment.original_name == "笔录.pdf"


# --- recusal -----------------------------------------------------------------------------------


def test_a_recused_member_cannot_mediate(mw):
    mediation = ready(mw)
    services.recuse_member(mediation, actor=mw.mediator, member=mw.member_f, reason="系申请人表姐")
    assert list(mediation.mediators.all()) == [mw.chair]
    with pytest.raises(wf.Invalid) as refused:
        services.assign_mediators(mediation, actor=mw.mediator, members=[mw.member_f])
    assert "recused" in refused.value.message
    with pytest.raises(wf.Invalid):
        held(mw, mediation, mediators=[mw.chair, mw.member_f])
    with pytest.raises(wf.WorkflowError):
        services.recuse_member(mediation, actor=mw.mediator, member=mw.member_f, reason="再次")
    with pytest.raises(wf.Invalid):
        services.recuse_member(mediation, actor=mw.mediator, member=mw.member_m, reason=" ")
    recusal = mediation.recusals.get()
    assert recusal.reason == "系申请人表姐" and recusal.recorded_by == mw.mediator
    held(mw, mediation, mediators=[mw.chair])


# --- agreements --------------------------------------------------------------------------------


def test_an_agreement_without_terms_is_refused(mw):
    mediation = ready(mw)
    text = services.AgreementText(dispute_summary="漏水纠纷", terms="  \n ")
    with pytest.raises(wf.Invalid) as refused:
        services.save_agreement_draft(mediation, actor=mw.mediator, text=text)
    assert "terms" in refused.value.fields
    assert not AgreementDocument.objects.exists()


def test_a_draft_is_editable_and_a_signed_agreement_is_frozen(mw):
    mediation = ready(mw)
    held(mw, mediation)
    draft = services.save_agreement_draft(mediation, actor=mw.mediator, text=TEXT)
    with pytest.raises(wf.WorkflowError):
        services.save_agreement_draft(mediation, actor=mw.mediator, text=TEXT)  # one draft
    edited = services.AgreementText(**{**TEXT.__dict__, "amount": Decimal("1500")})
    services.save_agreement_draft(mediation, actor=mw.mediator, text=edited, agreement=draft)
    draft.refresh_from_db()
    assert draft.amount == Decimal("1500.00") and draft.status == AgreementStatus.DRAFT
    agreement = services.sign_agreement(draft, actor=mw.mediator)
    with pytest.raises(wf.WorkflowError) as refused:
        services.save_agreement_draft(mediation, actor=mw.mediator, text=TEXT, agreement=agreement)
    assert refused.value.message


def test_signing_twice_is_refused_and_nothing_changes(mw):
    agreement = signed(mw)
    agreement.refresh_from_db()
    number, signed_at = agreement.number, agreement.signed_at
    with pytest.raises(wf.WorkflowError) as refused:
        services.sign_agreement(agreement, actor=mw.mediator)
    assert number in refused.value.message
    agreement.refresh_from_db()
    assert (agreement.number, agreement.signed_at) == (number, signed_at)
    assert FollowUpVisit.objects.count() == 1
    assert CaseEvent.objects.filter(action="mediation_agreement_signed").count() == 1


def test_signing_resolves_the_case_and_creates_a_follow_up_visit(mw, settings):
    settings.YIMEN_MEDIATION_FOLLOW_UP_DAYS = 30
    agreement = signed(mw)
    mediation = agreement.mediation
    mediation.refresh_from_db()
    case = Case.objects.get(pk=mediation.case_id)
    assert agreement.status == AgreementStatus.SIGNED and agreement.number.startswith("XY-")
    assert mediation.outcome == Outcome.AGREED
    assert case.status == Status.RESOLVED and agreement.number in case.result
    visit = FollowUpVisit.objects.get()
    assert visit.agreement == agreement
    assert visit.due_on == timezone.localdate() + timedelta(days=30)
    assert agreement.parties == [{"name": "王芳", "role": "applicant"},
                                 {"name": "李强", "role": "respondent"}]  # fmt: skip


def test_the_agreement_pdf_names_the_parties_in_its_text_layer(mw):
    agreement = signed(mw)
    content = agreement.pdf.read()
    assert content.startswith(b"%PDF-") and b"STSong-Light" in content
    text = pdf_text(content)
    assert "王芳" in text and "李强" in text
    assert agreement.number in text
    assert "1200" in text.replace(",", "")
    assert PHONE not in text and ID_NUMBER not in text and "13900001111" not in text


def test_every_party_must_consent_before_signing(mw):
    mediation = opened(mw)
    applicant, _ = parties(mediation.case)
    services.record_consent(mediation, actor=mw.mediator, party=applicant, decision="given")
    services.record_rights_notice(
        mediation, actor=mw.mediator, given_by=mw.chair, given_at=ago(days=6)
    )
    held(mw, mediation, mediators=[mw.chair])
    draft = services.save_agreement_draft(mediation, actor=mw.mediator, text=TEXT)
    with pytest.raises(wf.WorkflowError) as refused:
        services.sign_agreement(draft, actor=mw.mediator)
    assert "李强" in refused.value.message


def test_a_partial_agreement_records_the_path_for_the_rest(mw):
    mediation = ready(mw)
    held(mw, mediation)
    text = services.AgreementText(**{**TEXT.__dict__, "is_partial": True,
                                     "unresolved": "精神损害赔偿未达成一致"})  # fmt: skip
    draft = services.save_agreement_draft(mediation, actor=mw.mediator, text=text)
    with pytest.raises(wf.Invalid):
        services.sign_agreement(draft, actor=mw.mediator)
    services.sign_agreement(draft, actor=mw.mediator, next_path=NextPath.COURT)
    mediation.refresh_from_db()
    assert mediation.outcome == Outcome.PARTIAL and mediation.next_path == NextPath.COURT
    assert FollowUpVisit.objects.count() == 1


def test_judicial_confirmation_is_prepared_from_a_signed_agreement(mw, client_for):
    agreement = signed(mw)
    item = services.prepare_judicial_confirmation(
        agreement, actor=mw.mediator, court="临江区人民法院"
    )
    with pytest.raises(wf.WorkflowError):
        services.prepare_judicial_confirmation(agreement, actor=mw.mediator, court="x")
    case = agreement.mediation.case
    response = client_for(mw.mediator).get(
        f"/mediation/case/{case.pk}/agreements/{agreement.pk}/judicial.pdf"
    )
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "王芳" in text and "李强" in text and item.court in text


# --- follow-up visits --------------------------------------------------------------------------


def test_a_performed_agreement_closes_its_visit(mw):
    agreement = signed(mw)
    visit = FollowUpVisit.objects.get()
    services.record_follow_up_visit(visit, actor=mw.mediator, performed=Performed.YES, settled=True)
    visit.refresh_from_db()
    assert visit.done_at and not visit.reopened
    assert Case.objects.get(pk=agreement.mediation.case_id).status == Status.RESOLVED
    with pytest.raises(wf.WorkflowError):
        services.record_follow_up_visit(visit, actor=mw.mediator, performed="yes", settled=True)


def test_a_broken_agreement_reopens_the_matter(mw):
    agreement = signed(mw)
    case = Case.objects.get(pk=agreement.mediation.case_id)
    wf.close_case(case, actor=mw.director)
    visit = FollowUpVisit.objects.get()
    with pytest.raises(wf.Invalid):
        services.record_follow_up_visit(visit, actor=mw.mediator, performed="no", settled=False)
    services.record_follow_up_visit(
        visit, actor=mw.mediator, performed=Performed.NO, settled=False, note="赔偿款至今未付"
    )
    case.refresh_from_db()
    mediation = Mediation.objects.get(pk=agreement.mediation_id)
    assert case.status == Status.REOPENED and case.deadline is not None
    assert case.events.filter(action="reopened_agreement_broken").exists()
    assert mediation.is_open and mediation.times_reopened == 1
    assert FollowUpVisit.objects.get().reopened
    held(mw, mediation, starts_at=ago(minutes=5))  # the committee mediates again


# --- ending without agreement ------------------------------------------------------------------


def test_a_refused_mediation_is_referred_to_court_with_the_right_stated(mw, client_for):
    mediation = opened(mw)
    applicant, _ = parties(mediation.case)
    services.record_consent(mediation, actor=mw.mediator, party=applicant, decision="refused")
    with pytest.raises(wf.Invalid) as refused:
        services.conclude_mediation(mediation, actor=mw.mediator, outcome="refused",
                                    reason="申请人不同意调解", next_path="")  # fmt: skip
    assert "next_path" in refused.value.fields  # never a dead end
    services.conclude_mediation(mediation, actor=mw.mediator, outcome=Outcome.REFUSED,
                                reason="申请人不同意调解", next_path=NextPath.COURT)  # fmt: skip
    mediation.refresh_from_db()
    case = Case.objects.get(pk=mediation.case_id)
    assert mediation.outcome == Outcome.REFUSED and mediation.next_path == NextPath.COURT
    assert case.status == Status.TRANSFERRED_OUT
    assert case.transferred_to == mediation.next_body
    transfer = case.events.get(action="transferred_out")
    assert transfer.is_public and str(services.RIGHT_TO_SUE) in transfer.note
    response = client_for(mw.mediator).get(f"/mediation/case/{case.pk}/referral.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "王芳" in text and mediation.next_body in text


def test_the_outcome_must_match_the_consent_record(mw):
    mediation = consented(mw)
    with pytest.raises(wf.Invalid):
        services.conclude_mediation(mediation, actor=mw.mediator, outcome="withdrawn",
                                    reason="x", next_path="court")  # fmt: skip
    with pytest.raises(wf.Invalid):
        services.conclude_mediation(mediation, actor=mw.mediator, outcome="agreed",
                                    reason="x", next_path="court")  # fmt: skip
    with pytest.raises(wf.Invalid):
        services.conclude_mediation(mediation, actor=mw.mediator, outcome="failed",
                                    reason="x", next_path="other_body")  # fmt: skip
    services.conclude_mediation(mediation, actor=mw.mediator, outcome="failed", reason="分歧过大",
                                next_path="legal_aid")  # fmt: skip
    assert Case.objects.get(pk=mediation.case_id).transferred_to == services.default_body(
        mediation.case, "legal_aid"
    )


def test_a_court_unit_of_the_area_is_the_default_court(mw):
    from .factories import UnitFactory

    UnitFactory(name="临江区人民法院青石人民法庭", kind="court", jurisdiction=mw.street)
    case = dispute(mw)
    assert services.default_body(case, NextPath.COURT) == "临江区人民法院青石人民法庭"


# --- transfer and urgency ----------------------------------------------------------------------


def test_a_dispute_outside_mediation_is_transferred_with_a_note(mw):
    case = dispute(mw)
    services.transfer_outside_mediation(
        case,
        actor=mw.mediator,
        reason="in_court",
        to_body="临江区人民法院",
        note="该纠纷已在法院立案。",
    )
    case.refresh_from_db()
    assert case.status == Status.TRANSFERRED_OUT and case.transferred_to == "临江区人民法院"
    assert "已在法院立案" in case.events.get(action="transferred_out").note
    assert Event.objects.filter(action="mediation.case.transferred_outside").exists()


def test_a_risk_of_violence_is_flagged_urgent_and_reported_at_once(
    mw, django_capture_on_commit_callbacks
):
    mediation = opened(mw)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_risk_of_violence(mediation.case, actor=mw.mediator, reason="扬言报复")
    case = Case.objects.get(pk=mediation.case_id)
    assert case.is_urgent
    assert Notification.objects.filter(recipient=mw.director, case=case).exists()
    assert "扬言报复" in case.events.get(action="flagged_urgent").note
    with pytest.raises(wf.NotAllowed):
        services.report_risk_of_violence(case, actor=mw.mediator_b, reason="x")


# --- pages and scoping -------------------------------------------------------------------------


def test_another_communitys_mediator_gets_404(mw, client_for):
    agreement = signed(mw)
    case = agreement.mediation.case
    for user in (mw.mediator_b, mw.desk_b):
        client = client_for(user)
        assert client.get(f"/mediation/case/{case.pk}/").status_code == 404
        assert (
            client.post(f"/mediation/case/{case.pk}/do/urgent/", {"reason": "x"}).status_code == 404
        )
        assert (
            client.get(f"/mediation/case/{case.pk}/agreements/{agreement.pk}.pdf").status_code
            == 404
        )
    assert client_for(mw.mediator_b).get("/mediation/").content.decode().count(case.title) == 0
    assert client_for(mw.mediator).get(f"/mediation/case/{case.pk}/").status_code == 200
    assert client_for(mw.director).get(f"/mediation/case/{case.pk}/").status_code == 200


def test_the_director_sees_but_cannot_mediate(mw, client_for):
    mediation = opened(mw)
    applicant, _ = parties(mediation.case)
    with pytest.raises(wf.NotAllowed):
        services.record_consent(mediation, actor=mw.director, party=applicant, decision="given")
    response = client_for(mw.director).post(
        f"/mediation/case/{mediation.case_id}/do/consent/",
        {"party": applicant.pk, "decision": "given"},
    )
    assert response.status_code == 403
    assert not mediation.consents.exists()


def test_the_case_page_offers_to_open_the_mediation(mw, client_for):
    case = dispute(mw)
    page = client_for(mw.mediator).get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/mediation/case/{case.pk}/open/"' in page
    director_page = client_for(mw.director).get(f"/cases/{case.pk}/").content.decode()
    assert 'id="mediation"' in director_page and "/open/" not in director_page
    response = client_for(mw.mediator).post(f"/mediation/case/{case.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/mediation/case/{case.pk}/"


def test_a_case_not_with_a_committee_has_no_mediation_page(mw, client_for):
    case = wf.register_case(actor=mw.desk, title="噪音", description="夜间噪音",
                            category=Category.objects.get(code="neighbour"), channel="call",
                            jurisdiction=mw.community_a,
                            parties=[wf.NewParty("王芳", "applicant")]).case  # fmt: skip
    assert client_for(mw.mediator).get(f"/mediation/case/{case.pk}/").status_code == 404
    assert 'id="mediation"' not in client_for(mw.desk).get(f"/cases/{case.pk}/").content.decode()


def test_steps_through_the_page_show_the_reason_when_refused(mw, client_for):
    mediation = opened(mw)
    client = client_for(mw.mediator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = f"/mediation/case/{mediation.case_id}/do/"
    response = client.post(url + "record_session/", {
        "starts_at": ago(days=3).strftime("%Y-%m-%dT%H:%M"), "place": "调解室",
        "mediators": [mw.chair.pk], "attendees": "王芳", "record": "记录",
    })  # fmt: skip
    assert response.status_code == 409
    assert "cannot start before the applicant consents" in response.content.decode()
    applicant, _ = parties(mediation.case)
    response = client.post(url + "consent/", {"party": applicant.pk, "decision": "given"})
    assert response.status_code == 302
    response = client.post(url + "notice/", {
        "given_by": mw.chair.pk, "given_at": ago(days=20).strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    assert response.status_code == 400
    assert "before the case was registered" in response.content.decode()
    response = client.post(url + "agreement/", {"dispute_summary": "漏水", "terms": ""})
    assert response.status_code == 400 and not AgreementDocument.objects.exists()


def test_the_mediators_page_lists_mediations_by_next_session(mw, client_for):
    first, second = ready(mw), ready(mw)
    services.schedule_session(second, actor=mw.mediator, starts_at=ago(days=-1), place="调解室",
                              mediators=[mw.chair])  # fmt: skip
    services.schedule_session(first, actor=mw.mediator, starts_at=ago(days=-3), place="调解室",
                              mediators=[mw.chair])  # fmt: skip
    assert list(services.my_mediations(mw.mediator)) == [second, first]
    page = client_for(mw.mediator).get("/mediation/").content.decode()
    assert page.index(second.number) < page.index(first.number)
    assert services.my_mediations(mw.mediator_b).count() == 0


def test_the_calendar_shows_a_committees_sessions(mw, client_for):
    mediation = ready(mw)
    when = ago(days=-1)
    services.schedule_session(mediation, actor=mw.mediator, starts_at=when, place="桂花调解室",
                              mediators=[mw.chair])  # fmt: skip
    month = timezone.localtime(when).strftime("%Y-%m")
    url = f"/mediation/calendar/?committee={mw.committee_a.pk}&month={month}"
    assert "桂花调解室" in client_for(mw.mediator).get(url).content.decode()
    assert "桂花调解室" in client_for(mw.director).get(url).content.decode()
    other = client_for(mw.mediator_b).get(url).content.decode()
    assert "桂花调解室" not in other


def test_the_follow_up_visit_is_on_the_mediators_page(mw, client_for):
    agreement = signed(mw)
    page = client_for(mw.mediator).get("/mediation/").content.decode()
    assert agreement.number in page


def test_navigation_offers_mediation_to_mediators_and_directors(mw, client_for):
    assert "/mediation/" in client_for(mw.mediator).get("/").content.decode()
    assert "/mediation/" in client_for(mw.director).get("/").content.decode()
    assert 'href="/mediation/"' not in client_for(mw.desk).get("/").content.decode()
