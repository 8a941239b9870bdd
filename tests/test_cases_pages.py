"""The case pages: intake, receipt slip, the case page with its actions, files and parties."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from yimen.audit.models import Event
from yimen.cases import workflow as wf
from yimen.cases.forms import ACTION_FORMS
from yimen.cases.models import AttachmentKind, Case, Category, ExtensionStatus, Status
from yimen.cases.views.detail import DONE
from yimen.cases.views.intake import RECEIPT_CODES

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE, ID_NUMBER = "13812345678", "110101199001011234"


@pytest.fixture
def en(client_for):
    """A logged-in client reading English, so messages can be matched."""

    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def intake_data(w, **overrides):
    data = {
        "channel": "visit",
        "category": Category.objects.get(code="neighbour").pk,
        "title": "楼上漏水",
        "description": "楼上卫生间漏水到楼下，多次协商未果。",
        "jurisdiction": w.community_a.pk,
        "address": "桂花路 8 号 3 单元",
        "latitude": "",
        "longitude": "",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "20",
        "parties-0-role": "applicant",
        "parties-0-name": "王芳",
        "parties-0-phone": PHONE,
        "parties-0-id_number": ID_NUMBER,
        "parties-1-role": "respondent",
        "parties-1-name": "赵四",
        "parties-1-phone": "",
        "parties-1-id_number": "",
    }
    data.update(overrides)
    return data


def register(w, actor=None, category="neighbour", **kwargs):
    defaults = {
        "title": "楼上漏水",
        "description": "楼上卫生间漏水到楼下。",
        "channel": "visit",
        "jurisdiction": w.community_a,
        "parties": [wf.NewParty("王芳", "applicant", PHONE, ID_NUMBER)],
    }
    defaults.update(kwargs)
    return wf.register_case(
        actor=actor or w.desk, category=Category.objects.get(code=category), **defaults
    ).case


def routed(w, **kwargs):
    case = register(w, **kwargs)
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    return case


def handling(w, **kwargs):
    case = routed(w, **kwargs)
    wf.accept_case(case, actor=w.mediator)
    return case


def resolved(w):
    case = handling(w)
    wf.submit_result(case, actor=w.mediator, result="双方达成协议")
    return case


def closed(w):
    case = resolved(w)
    wf.close_case(case, actor=w.director)
    return case


def action_url(case, name):
    return reverse("cases:action", args=[case.pk, name])


def detail_url(case):
    return reverse("cases:detail", args=[case.pk])


# --- intake --------------------------------------------------------------------------------


def test_intake_starts_with_an_applicant_and_a_respondent_row(cases_world, en):
    body = en(cases_world.desk).get(reverse("cases:new")).content.decode()
    assert 'name="parties-TOTAL_FORMS" value="2"' in body
    assert re.search(r'name="parties-0-role"[^>]*>.*?value="applicant" selected', body, re.S)
    assert re.search(r'name="parties-1-role"[^>]*>.*?value="respondent" selected', body, re.S)
    assert re.search(r'value="visit" selected', body)
    assert 'enctype="multipart/form-data"' in body


def test_grid_workers_default_to_the_grid_channel_and_their_own_grid(cases_world, en):
    body = en(cases_world.grid).get(reverse("cases:new")).content.decode()
    assert re.search(r'value="grid" selected', body)
    assert re.search(rf'value="{cases_world.grid_a1.pk}" selected', body)
    places = re.search(r'<select name="jurisdiction".*?</select>', body, re.S).group()
    assert cases_world.grid_a1.name in places and cases_world.community_a.name not in places


def test_intake_is_for_registering_roles_only(cases_world, en, client):
    assert en(cases_world.unit).get(reverse("cases:new")).status_code == 403
    assert client.get(reverse("cases:new")).status_code == 302  # anonymous: to the login page


def test_intake_registers_and_the_receipt_shows_the_code_once(cases_world, en):
    client = en(cases_world.desk)
    response = client.post(reverse("cases:new"), intake_data(cases_world))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:receipt", args=[case.pk])
    assert case.received_by == cases_world.desk and case.status == Status.REGISTERED
    assert [(p.name, p.role) for p in case.parties.all()] == [
        ("王芳", "applicant"),
        ("赵四", "respondent"),
    ]
    code = client.session[RECEIPT_CODES][str(case.pk)]
    assert case.tracking_code_hash == wf.tracking_hash(code)

    first = client.get(response["Location"])
    body = first.content.decode()
    assert case.receipt_number in body and code in body
    assert "/track/" in body and "楼上漏水" in body
    assert "js/print.js" in body and "onclick" not in body
    assert "no-store" in first["Cache-Control"]

    again = client.get(response["Location"]).content.decode()
    assert case.receipt_number in again and code not in again
    assert "shown once" in again


def test_intake_with_map_point_and_attachment(cases_world, en, media):
    data = intake_data(cases_world, latitude="30.0512345", longitude="120.06", is_urgent="on")
    data["attachments"] = [pdf("现场照片.pdf")]
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert str(case.latitude) == "30.051235" and case.is_urgent
    attachment = case.attachments.get()
    assert attachment.original_name == "现场照片.pdf"
    assert attachment.content_type == "application/pdf"


def test_a_bad_file_is_named_and_nothing_else_typed_is_lost(cases_world, en, media):
    data = intake_data(cases_world)
    data["attachments"] = [pdf("好文件.pdf"), SimpleUploadedFile("病毒.exe", b"MZ\x90\x00rest")]
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "病毒.exe is not a photo, PDF or Office document" in body
    assert 'value="楼上漏水"' in body and "楼上卫生间漏水到楼下" in body
    assert 'value="王芳"' in body and f'value="{PHONE}"' in body
    assert "Choose these again" in body and "好文件.pdf" in body
    assert not Case.objects.exists()


def test_a_missing_title_keeps_everything_typed(cases_world, en):
    response = en(cases_world.desk).post(reverse("cases:new"), intake_data(cases_world, title=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was registered" in body
    assert "桂花路 8 号 3 单元" in body and 'value="赵四"' in body
    assert not Case.objects.exists()


def test_a_number_without_a_name_is_refused_on_its_row(cases_world, en):
    data = intake_data(cases_world, **{"parties-1-name": "", "parties-1-phone": "13900001111"})
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert "Give the party&#x27;s name" in response.content.decode()
    assert not Case.objects.exists()


def test_an_applicant_is_required_and_said_at_the_parties(cases_world, en):
    data = intake_data(cases_world, **{"parties-0-name": "", "parties-0-phone": "",
                                       "parties-0-id_number": ""})  # fmt: skip
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert "Name at least one applicant" in response.content.decode()


def test_more_parties_adds_a_row_and_keeps_what_was_typed(cases_world, en):
    data = intake_data(cases_world, more_parties="1", title="")
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="parties-TOTAL_FORMS" value="3"' in body
    assert re.search(r'name="parties-2-role"[^>]*>.*?value="other" selected', body, re.S)
    assert 'value="王芳"' in body and f'value="{ID_NUMBER}"' in body
    assert "桂花路 8 号 3 单元" in body
    assert "Nothing was registered" not in body  # only a new row, not a submission
    assert not Case.objects.exists()

    data = intake_data(cases_world, **{"parties-TOTAL_FORMS": "3", "parties-2-role": "other",
                                       "parties-2-name": "物业公司"})  # fmt: skip
    assert en(cases_world.desk).post(reverse("cases:new"), data).status_code == 302
    assert Case.objects.get().parties.count() == 3


def test_settled_on_the_spot_is_registered_and_closed(cases_world, en):
    data = intake_data(cases_world, settle_on_the_spot="on", result="")
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert "Describe how the matter was settled" in response.content.decode()

    data["result"] = "当场协调，楼上同意维修。"
    client = en(cases_world.desk)
    response = client.post(reverse("cases:new"), data)
    case = Case.objects.get()
    assert case.status == Status.CLOSED and case.on_the_spot
    body = client.get(response["Location"]).content.decode()
    assert "Settled on the spot" in body and "楼上同意维修" in body


def test_a_complaint_about_staff_must_name_someone(cases_world, en):
    staff_complaint = Category.objects.get(code="staff_complaint").pk
    data = intake_data(cases_world, category=staff_complaint, title="投诉窗口态度差")
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert "must name the staff member or the unit" in response.content.decode()
    assert not Case.objects.exists()

    data["about_unit"] = cases_world.police.pk  # a unit above the desk can be named
    assert en(cases_world.desk).post(reverse("cases:new"), data).status_code == 302
    assert Case.objects.get().about_unit == cases_world.police


def test_a_complaint_about_the_registrars_own_unit_hands_the_slip_over_at_once(cases_world, en):
    data = intake_data(
        cases_world,
        category=Category.objects.get(code="staff_complaint").pk,
        about_unit=cases_world.station_a.pk,
    )
    client = en(cases_world.desk)
    response = client.post(reverse("cases:new"), data)
    case = Case.objects.get()
    assert response.status_code == 200
    body = response.content.decode()
    assert case.receipt_number in body and "you will not see it again" in body
    assert RECEIPT_CODES not in client.session or not client.session[RECEIPT_CODES]
    assert client.get(detail_url(case)).status_code == 404


def test_intake_offers_only_places_in_scope(cases_world, en):
    data = intake_data(cases_world, jurisdiction=cases_world.community_b.pk)
    response = en(cases_world.desk).post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert not Case.objects.exists()


# --- the case page, scoping and personal data ---------------------------------------------


def test_case_page_shows_facts_masked_numbers_and_timeline(cases_world, en):
    case = routed(cases_world)
    response = en(cases_world.desk).get(detail_url(case))
    body = response.content.decode()
    assert response.status_code == 200
    assert case.receipt_number in body and "楼上漏水" in body
    assert "138****5678" in body and "110***********1234" in body
    assert PHONE not in body and ID_NUMBER not in body
    assert "Registered" in body and "Assigned" in body and "working days left" in body
    assert case.slips.get().number in body


def test_reveal_shows_the_full_numbers_and_logs_the_view(cases_world, en):
    case = register(cases_world)
    party = case.parties.get()
    url = reverse("cases:reveal_party", args=[case.pk, party.pk])
    client = en(cases_world.desk)
    assert client.get(url).status_code == 405
    body = client.post(url).content.decode()
    assert PHONE in body and ID_NUMBER in body and "<html" in body
    event = Event.objects.get(action="privacy.personal_data.viewed")
    assert event.actor == cases_world.desk
    assert event.object_type == "cases.party" and event.object_id == str(party.pk)
    assert event.changes == {"fields": ["phone", "id_number"]}
    assert event.path == cases_world.community_a.path

    row = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert row.lstrip().startswith(f'<tr id="party-{party.pk}"') and PHONE in row
    assert Event.objects.filter(action="privacy.personal_data.viewed").count() == 2
    assert PHONE not in client.get(detail_url(case)).content.decode()


def test_another_community_gets_404_everywhere(cases_world, en, media):
    case = register(cases_world, attachments=[wf.NewAttachment(pdf())])
    party, attachment = case.parties.get(), case.attachments.get()
    client = en(cases_world.desk_b)
    assert client.get(detail_url(case)).status_code == 404
    assert client.get(reverse("cases:receipt", args=[case.pk])).status_code == 404
    assert client.get(reverse("cases:attachment", args=[case.pk, attachment.pk])).status_code == 404
    assert client.post(reverse("cases:reveal_party", args=[case.pk, party.pk])).status_code == 404
    assert client.post(action_url(case, "route")).status_code == 404
    assert not Event.objects.filter(action="privacy.personal_data.viewed").exists()


def test_attachments_download_with_their_name_only_through_the_case(cases_world, en, media):
    case = register(cases_world, attachments=[wf.NewAttachment(pdf("协议.pdf"))])
    other = register(cases_world, title="另一件")
    attachment = case.attachments.get()
    client = en(cases_world.desk)
    response = client.get(reverse("cases:attachment", args=[case.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%8D%8F%E8%AE%AE.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    wrong_case = reverse("cases:attachment", args=[other.pk, attachment.pk])
    assert client.get(wrong_case).status_code == 404
    assert attachment.file.url not in client.get(detail_url(case)).content.decode()


def test_a_complaint_about_a_unit_is_404_for_that_units_staff(cases_world, en):
    case = register(cases_world, category="staff_complaint", about_unit=cases_world.committee_a)
    assert en(cases_world.mediator).get(detail_url(case)).status_code == 404
    assert en(cases_world.mediator).post(action_url(case, "accept")).status_code == 404
    assert en(cases_world.desk).get(detail_url(case)).status_code == 200


def test_overdue_is_shown_in_red_and_provisional_is_marked(cases_world, en):
    case = handling(cases_world)
    Case.objects.filter(pk=case.pk).update(
        deadline=timezone.localdate() - timedelta(days=10), deadline_provisional=True
    )
    body = en(cases_world.mediator).get(detail_url(case)).content.decode()
    assert '<span class="badge off">overdue</span>' in body
    assert "working days overdue" in body
    assert '<span class="badge provisional"' in body


# --- actions -------------------------------------------------------------------------------


def test_route_form_preselects_the_suggested_unit(cases_world, en):
    case = register(cases_world)
    body = en(cases_world.director).get(detail_url(case)).content.decode()
    assert action_url(case, "route") in body
    assert f'<option value="{cases_world.committee_a.pk}" selected>' in body
    assert "Suggested by the routing rules" in body
    assert (
        action_url(case, "route") not in en(cases_world.desk).get(detail_url(case)).content.decode()
    )


def _route(w):
    return {"unit": w.committee_a.pk, "complexity": "general", "instructions": "尽快上门"}


def _reject(w):
    return {"unit": w.police.pk, "complexity": "general"}  # another unit, no reason


ACTIONS = [
    # name, prepare, who may, who may not, data, status after
    ("route", register, "director", "desk", _route, Status.ROUTED),
    ("accept", routed, "mediator", "desk", lambda w: {}, Status.ACCEPTED),
    ("return", routed, "mediator", "director", lambda w: {"reason": "不属于本会"},
     Status.RETURNED),
    ("record_action", handling, "mediator", "desk",
     lambda w: {"kind": "visit", "note": "上门查看", "public": "on"}, Status.IN_PROGRESS),
    ("submit_result", handling, "mediator", "director", lambda w: {"result": "已维修"},
     Status.RESOLVED),
    ("transfer_out", register, "director", "desk",
     lambda w: {"to_body": "区仲裁院", "note_for_resident": "请到区仲裁院立案"},
     Status.TRANSFERRED_OUT),
    ("close", resolved, "director", "mediator", lambda w: {"note": "结果属实"}, Status.CLOSED),
    ("follow_up", closed, "desk", "mediator", lambda w: {"satisfaction": "satisfied"},
     Status.CLOSED),
    ("reopen", resolved, "supervisor", "desk", lambda w: {"reason": "结果未达要求"},
     Status.REOPENED),
]  # fmt: skip


@pytest.mark.parametrize(("name", "prepare", "right", "wrong", "data", "after"), ACTIONS)
def test_each_action_works_for_the_right_role_only(
    cases_world, en, name, prepare, right, wrong, data, after
):
    case = prepare(cases_world)
    before, events = case.status, case.events.count()
    wrong_user = getattr(cases_world, wrong)
    response = en(wrong_user).post(action_url(case, name), data(cases_world))
    assert response.status_code == 403
    assert "is not open to your role or unit" in response.content.decode()
    case.refresh_from_db()
    assert case.status == before and case.events.count() == events

    client = en(getattr(cases_world, right))
    page = client.get(detail_url(case)).content.decode()
    assert action_url(case, name) in page
    response = client.post(action_url(case, name), {**data(cases_world), "version": case.version})
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    case.refresh_from_db()
    assert case.status == after and case.events.count() > events
    with translation.override("en"):
        assert str(DONE[name]) in client.get(detail_url(case)).content.decode()


def test_every_workflow_action_has_a_form():
    assert set(ACTION_FORMS) == set(wf.TRANSITIONS)


def test_a_refused_action_keeps_what_was_typed_and_says_why(cases_world, en):
    case = register(cases_world)
    data = {**_reject(cases_world), "instructions": "请派出所处理"}
    response = en(cases_world.director).post(action_url(case, "route"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give a reason for choosing another unit" in body
    assert "请派出所处理" in body
    assert f'<option value="{cases_world.police.pk}" selected>' in body
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and not case.slips.exists()


def test_an_action_in_the_wrong_state_is_refused_with_409(cases_world, en):
    case = routed(cases_world)
    response = en(cases_world.mediator).post(action_url(case, "submit_result"), {"result": "x"})
    assert response.status_code == 409
    assert "“Submit the result” is not possible now" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.ROUTED


def test_return_needs_a_reason(cases_world, en):
    case = routed(cases_world)
    response = en(cases_world.mediator).post(action_url(case, "return"), {"reason": " "})
    assert response.status_code == 400
    assert "Say why the case is returned" in response.content.decode()


def test_extension_request_and_decision(cases_world, en):
    case = handling(cases_world)
    new = case.deadline + timedelta(days=20)
    mediator = en(cases_world.mediator)
    response = mediator.post(action_url(case, "request_extension"),
                             {"reason": "需鉴定", "new_deadline": new.isoformat()})  # fmt: skip
    assert response.status_code == 302
    request = case.extensions.get()

    refused = en(cases_world.mediator).post(
        action_url(case, "decide_extension"), {"request": request.pk, "decision": "approve"}
    )
    assert refused.status_code == 403

    supervisor = en(cases_world.supervisor)
    page = supervisor.get(detail_url(case)).content.decode()
    assert 'name="decision"' in page and "需鉴定" in page
    response = supervisor.post(
        action_url(case, "decide_extension"),
        {"request": request.pk, "decision": "refuse", "note": ""},
    )
    assert response.status_code == 400
    assert "Say why the extension is refused" in response.content.decode()
    case.refresh_from_db()
    response = supervisor.post(
        action_url(case, "decide_extension"),
        {"request": request.pk, "decision": "approve", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    request.refresh_from_db()
    assert request.status == ExtensionStatus.APPROVED and case.deadline == new
    assert case.status == Status.EXTENDED


def test_a_stale_page_loses_to_the_action_taken_meanwhile(cases_world, en):
    case = handling(cases_world)
    seen = case.version
    wf.record_action(case, actor=cases_world.mediator, kind="call", note="电话联系")
    response = en(cases_world.mediator).post(
        action_url(case, "record_action"),
        {"kind": "visit", "note": "上门查看漏水点", "version": seen},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this case a moment ago" in body
    assert "上门查看漏水点" in body  # the note typed is kept for a second try
    assert f'name="version" value="{case.version}"' in body  # …on the page as it is now
    assert case.events.filter(action="action").count() == 1


def test_escalation_without_the_three_documents_lists_what_is_missing(cases_world, en, media):
    case = handling(cases_world)
    client = en(cases_world.mediator)
    page = client.get(detail_url(case)).content.decode()
    assert "Party&#x27;s request to escalate" in page

    response = client.post(action_url(case, "escalate"), {"reason": "调解不成"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Escalation needs these attachments first" in body
    assert "Investigation material and preliminary opinion" in body
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED

    files = {kind: pdf(f"{kind}.pdf") for kind in wf.ESCALATION_ATTACHMENTS}
    response = client.post(
        reverse("cases:add_attachments", args=[case.pk]), {"material": "escalation", **files}
    )
    assert response.status_code == 302
    assert set(case.attachments.values_list("kind", flat=True)) == set(wf.ESCALATION_ATTACHMENTS)

    response = client.post(action_url(case, "escalate"), {"reason": "调解不成"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ESCALATED


def test_material_upload_checks_the_file_and_the_role(cases_world, en, media):
    case = handling(cases_world)
    url = reverse("cases:add_attachments", args=[case.pk])
    bad = SimpleUploadedFile("假照片.jpg", b"not an image")
    response = en(cases_world.mediator).post(url, {"kind": "general", "files": [bad]})
    assert response.status_code == 400
    assert "假照片.jpg is not a photo" in response.content.decode()
    response = en(cases_world.leader).post(url, {"kind": "general", "files": [pdf()]})
    assert response.status_code == 403
    assert "You may not add material" in response.content.decode()
    response = en(cases_world.mediator).post(url, {"kind": "result", "files": [pdf("结果.pdf")]})
    assert response.status_code == 302
    assert case.attachments.get().kind == AttachmentKind.RESULT


def test_actions_can_send_the_user_back_to_a_list(cases_world, en):
    case = register(cases_world)
    data = {**_route(cases_world), "next": "/cases/queue/"}
    response = en(cases_world.director).post(action_url(case, "route"), data)
    assert response.status_code == 302 and response["Location"] == "/cases/queue/"
    data = {"reason": "x", "next": "https://evil.example/"}
    response = en(cases_world.mediator).post(action_url(case, "return"), data)
    assert response["Location"] == detail_url(case)


def test_unknown_actions_and_gets_are_refused(cases_world, en):
    case = register(cases_world)
    assert en(cases_world.director).post(action_url(case, "delete")).status_code == 404
    assert en(cases_world.director).get(action_url(case, "route")).status_code == 405


def test_a_bad_escalation_document_is_named_and_the_escalation_box_stays_open(
    cases_world, en, media
):
    case = handling(cases_world)
    bad = SimpleUploadedFile("申请.txt", b"plain text")
    response = en(cases_world.mediator).post(
        reverse("cases:add_attachments", args=[case.pk]),
        {"material": "escalation", "escalation_request": bad},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "申请.txt is not a photo" in body
    assert re.search(r'<details class="case-action" open>\s*<summary>Escalate', body)
    assert not case.attachments.exists()


def test_a_dissatisfied_follow_up_reopens_or_needs_a_reason(cases_world, en):
    case = closed(cases_world)
    client = en(cases_world.desk)
    response = client.post(action_url(case, "follow_up"), {"satisfaction": "dissatisfied"})
    assert response.status_code == 400
    assert "stays closed although the resident is dissatisfied" in response.content.decode()
    data = {"satisfaction": "dissatisfied", "comment": "仍在漏水", "reopen": "on"}
    assert client.post(action_url(case, "follow_up"), data).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REOPENED and case.follow_ups.get().reopened
    assert "仍在漏水" in en(cases_world.mediator).get(detail_url(case)).content.decode()
