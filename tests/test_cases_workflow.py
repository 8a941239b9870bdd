"""The case lifecycle rules, through the workflow functions every page and API call uses."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yimen.audit.models import Event
from yimen.cases import workflow as wf
from yimen.cases.models import (
    AttachmentKind,
    Case,
    Category,
    Complexity,
    ExtensionStatus,
    Satisfaction,
    Status,
)
from yimen.notices.models import Notification

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def today(monkeypatch):
    """Freeze the workflow's 'today' (deadlines count from it)."""

    def set_today(day: date) -> None:
        monkeypatch.setattr(wf, "_today", lambda: day)

    set_today(date(2026, 9, 28))
    return set_today


def register(w, *, actor=None, category="neighbour", **kwargs):
    defaults = {
        "title": "楼上漏水",
        "description": "楼上卫生间漏水到楼下，多次协商未果。",
        "channel": "visit",
        "jurisdiction": w.community_a,
        "parties": [wf.NewParty("王芳", "applicant", "13812345678", "110101199001011234")],
    }
    defaults.update(kwargs)
    return wf.register_case(
        actor=actor or w.desk, category=Category.objects.get(code=category), **defaults
    ).case


def routed(w, **kwargs):
    case = register(w, **kwargs)
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity=Complexity.GENERAL)
    return case


def handling(w, **kwargs):
    case = routed(w, **kwargs)
    wf.accept_case(case, actor=w.mediator)
    return case


# --- registration ---------------------------------------------------------------------


def test_registration_gives_a_receipt_number_and_a_tracking_code(cases_world):
    result = wf.register_case(
        actor=cases_world.desk,
        title="噪音扰民",
        description="夜间装修噪音",
        category=Category.objects.get(code="neighbour"),
        channel="call",
        jurisdiction=cases_world.community_a,
        parties=[wf.NewParty("李明", "applicant", "13900001111")],
    )
    case = result.case
    assert case.status == Status.REGISTERED
    assert case.receipt_number.startswith("YM-") and case.receipt_number.endswith("000001")
    assert len(result.tracking_code) == 8
    assert case.tracking_code_hash == wf.tracking_hash(result.tracking_code)
    assert result.tracking_code not in case.tracking_code_hash
    assert case.received_by == cases_world.desk
    assert register(cases_world).receipt_number.endswith("000002")
    assert Event.objects.filter(action="cases.case.registered", object_id=str(case.pk)).exists()


def test_registration_outside_the_users_jurisdiction_is_refused(cases_world):
    with pytest.raises(wf.Invalid) as error:
        register(cases_world, jurisdiction=cases_world.community_b)
    assert "jurisdiction" in error.value.fields
    assert not Case.objects.exists()


def test_a_role_that_does_not_register_is_refused(cases_world):
    with pytest.raises(wf.NotAllowed):
        register(cases_world, actor=cases_world.unit)


def test_an_applicant_is_required(cases_world):
    with pytest.raises(wf.Invalid) as error:
        register(cases_world, parties=[wf.NewParty("赵四", "respondent")])
    assert "parties" in error.value.fields


def test_settled_on_the_spot_is_registered_and_closed_in_one_step(cases_world):
    case = register(cases_world, settle_on_the_spot=True, result="现场调解，双方和解。")
    assert case.status == Status.CLOSED
    assert case.on_the_spot and case.closed_at is not None
    assert list(case.events.values_list("action", flat=True)) == [
        "registered",
        "closed_on_the_spot",
    ]


def test_on_the_spot_needs_the_result(cases_world):
    with pytest.raises(wf.Invalid):
        register(cases_world, settle_on_the_spot=True, result=" ")


def test_urgent_matter_notifies_the_director_and_leaders_at_once(
    cases_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(cases_world, is_urgent=True)
    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"director", "leader", "top_leader"} <= notified
    assert "desk_b" not in notified and "police" not in notified


def test_attachments_are_stored_with_their_checked_type(cases_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("协议.pdf", PDF, content_type="text/plain")
    upload.content_type = "application/pdf"
    case = register(cases_world, attachments=[wf.NewAttachment(upload)])
    attachment = case.attachments.get()
    assert attachment.original_name == "协议.pdf" and attachment.size == len(PDF)


# --- routing and deadlines ----------------------------------------------------------------


def test_routing_issues_a_slip_and_counts_the_deadline_across_the_national_day(cases_world, today):
    today(date(2026, 9, 28))
    case = register(cases_world)
    slip = wf.route_case(
        case, actor=cases_world.director, unit=cases_world.committee_a, complexity="general"
    )
    case.refresh_from_db()
    # 9-29, 9-30, 10-8, 10-9, 10-10 (调休 Saturday), 10-12, 10-13
    assert case.deadline == date(2026, 10, 13)
    assert not case.deadline_provisional
    assert case.status == Status.ROUTED and case.lead_unit == cases_world.committee_a
    assert slip.number.startswith("JB-2026-") and slip.deadline == case.deadline
    assert slip.suggested_unit == cases_world.committee_a


def test_complex_and_leader_deadlines(cases_world, today):
    today(date(2026, 1, 30))
    complex_case = register(cases_world)
    wf.route_case(complex_case, actor=cases_world.director, unit=cases_world.committee_a,
                  complexity="complex")  # fmt: skip
    complex_case.refresh_from_db()
    # 2-2…2-13 (10), 2-14 调休 Saturday (11), Spring Festival 2-15…2-23 off, 2-24…2-27 (15)
    assert complex_case.deadline == date(2026, 2, 27)

    leader_case = register(cases_world)
    wf.route_case(leader_case, actor=cases_world.director, unit=cases_world.committee_a,
                  complexity="leader", leader=cases_world.leader)  # fmt: skip
    leader_case.refresh_from_db()
    assert leader_case.deadline == date(2026, 2, 28)
    assert leader_case.leader == cases_world.leader


def test_deadline_into_an_unpublished_year_is_provisional(cases_world, today):
    today(date(2026, 12, 28))
    case = routed(cases_world)
    assert case.deadline == date(2027, 1, 6) and case.deadline_provisional


def test_overriding_the_suggested_unit_needs_a_reason(cases_world):
    case = register(cases_world)
    with pytest.raises(wf.Invalid) as error:
        wf.route_case(case, actor=cases_world.director, unit=cases_world.police,
                      complexity="general")  # fmt: skip
    assert "override_reason" in error.value.fields
    case.refresh_from_db()
    assert case.status == Status.REGISTERED
    wf.route_case(case, actor=cases_world.director, unit=cases_world.police,
                  complexity="general", override_reason="涉及打架斗殴")  # fmt: skip
    assert case.slips.get().override_reason == "涉及打架斗殴"


def test_lead_unit_and_co_units(cases_world):
    case = register(cases_world)
    wf.route_case(case, actor=cases_world.director, unit=cases_world.committee_a,
                  complexity="general", co_units=[cases_world.police])  # fmt: skip
    assert list(case.co_units.all()) == [cases_world.police]
    assert "record_action" not in wf.allowed_actions(cases_world.unit, case)  # not accepted yet
    wf.accept_case(case, actor=cases_world.mediator)
    assert wf.allowed_actions(cases_world.unit, case) == ["record_action"]


def test_routing_is_for_the_director_only(cases_world):
    case = register(cases_world)
    for user in (cases_world.desk, cases_world.supervisor, cases_world.mediator):
        with pytest.raises(wf.NotAllowed):
            wf.route_case(case, actor=user, unit=cases_world.committee_a, complexity="general")


def test_two_directors_routing_at_once_end_with_one_winner(cases_world):
    case = register(cases_world)
    stale = Case.objects.get(pk=case.pk)
    wf.route_case(case, actor=cases_world.director, unit=cases_world.committee_a,
                  complexity="general")  # fmt: skip
    with pytest.raises(wf.Conflict):
        wf.route_case(stale, actor=cases_world.director, unit=cases_world.committee_a,
                      complexity="general")  # fmt: skip
    assert case.slips.count() == 1


def test_escalated_cases_route_to_the_judicial_office_with_the_petition_office(cases_world):
    case = handling(cases_world)
    _attach_escalation_material(case, cases_world)
    wf.escalate_case(case, actor=cases_world.mediator, reason="调解不成，当事人申请上交")
    suggestion = wf.suggestion_for(case)
    assert suggestion.unit == cases_world.judicial
    assert suggestion.co_units == [cases_world.petition]


# --- handling --------------------------------------------------------------------------


def test_unit_accepts_and_records_actions(cases_world):
    case = routed(cases_world)
    wf.accept_case(case, actor=cases_world.mediator)
    assert case.status == Status.ACCEPTED
    wf.record_action(case, actor=cases_world.mediator, kind="visit", note="上门查看漏水点")
    assert case.status == Status.IN_PROGRESS
    assert case.events.filter(action="action", data__kind="visit").exists()


def test_another_unit_cannot_accept(cases_world):
    case = routed(cases_world)
    with pytest.raises(wf.NotAllowed):
        wf.accept_case(case, actor=cases_world.mediator_b)
    with pytest.raises(wf.NotAllowed):
        wf.accept_case(case, actor=cases_world.judicial_staff)


def test_return_needs_a_reason_and_goes_back_to_routing(cases_world):
    case = routed(cases_world)
    with pytest.raises(wf.Invalid):
        wf.return_case(case, actor=cases_world.mediator, reason="")
    wf.return_case(case, actor=cases_world.mediator, reason="不属于本委员会受理范围")
    assert case.status == Status.RETURNED and case.lead_unit is None
    assert "route" in wf.allowed_actions(cases_world.director, case)


def test_state_rules_refuse_actions_out_of_order(cases_world):
    case = register(cases_world)
    with pytest.raises(wf.WorkflowError):
        wf.close_case(case, actor=cases_world.director)
    case = routed(cases_world)
    with pytest.raises(wf.WorkflowError) as error:
        wf.submit_result(case, actor=cases_world.mediator, result="已处理")
    assert error.value.status == 409
    case.refresh_from_db()
    assert case.status == Status.ROUTED


def test_extension_approved_moves_the_deadline_and_is_on_the_timeline(cases_world, today):
    case = handling(cases_world)
    old = case.deadline
    request = wf.request_extension(case, actor=cases_world.mediator, reason="需鉴定漏水原因",
                                   new_deadline=date(2026, 10, 30))  # fmt: skip
    with pytest.raises(wf.WorkflowError):
        wf.request_extension(case, actor=cases_world.mediator, reason="再次",
                             new_deadline=date(2026, 11, 5))  # fmt: skip
    with pytest.raises(wf.NotAllowed):
        wf.decide_extension(request, actor=cases_world.mediator, approve=True)
    wf.decide_extension(request, actor=cases_world.supervisor, approve=True)
    case.refresh_from_db()
    assert case.deadline == date(2026, 10, 30) and case.status == Status.EXTENDED
    assert request.status == ExtensionStatus.APPROVED
    entry = case.events.get(action="extension_approved")
    assert entry.data["deadline"] == [old.isoformat(), "2026-10-30"]


def test_extension_must_move_the_deadline_later(cases_world):
    case = handling(cases_world)
    with pytest.raises(wf.Invalid) as error:
        wf.request_extension(case, actor=cases_world.mediator, reason="x",
                             new_deadline=case.deadline)  # fmt: skip
    assert "new_deadline" in error.value.fields


def test_refused_extension_needs_a_reason_and_keeps_the_deadline(cases_world, today):
    case = handling(cases_world)
    request = wf.request_extension(case, actor=cases_world.mediator, reason="需要更多时间",
                                   new_deadline=date(2026, 12, 1))  # fmt: skip
    with pytest.raises(wf.Invalid):
        wf.decide_extension(request, actor=cases_world.director, approve=False)
    wf.decide_extension(request, actor=cases_world.director, approve=False, note="期限足够")
    case.refresh_from_db()
    assert case.deadline != date(2026, 12, 1) and request.status == ExtensionStatus.REFUSED


def test_leader_case_extension_is_decided_by_the_top_leader_only(cases_world, today):
    case = register(cases_world)
    wf.route_case(case, actor=cases_world.director, unit=cases_world.committee_a,
                  complexity="leader", leader=cases_world.leader)  # fmt: skip
    wf.accept_case(case, actor=cases_world.mediator)
    request = wf.request_extension(case, actor=cases_world.mediator, reason="协调多部门",
                                   new_deadline=date(2027, 3, 1))  # fmt: skip
    for user in (cases_world.director, cases_world.supervisor, cases_world.leader):
        with pytest.raises(wf.NotAllowed):
            wf.decide_extension(request, actor=user, approve=True)
    wf.decide_extension(request, actor=cases_world.top_leader, approve=True)


def _attach_escalation_material(case, w, kinds=wf.ESCALATION_ATTACHMENTS):
    items = []
    for kind in kinds:
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF)
        upload.content_type = "application/pdf"
        items.append(wf.NewAttachment(upload, kind))
    wf.add_attachments(case, items, actor=w.mediator)


def test_escalation_needs_the_three_attachments(cases_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = handling(cases_world)
    _attach_escalation_material(case, cases_world, kinds=[AttachmentKind.ESCALATION_REQUEST])
    with pytest.raises(wf.Invalid) as error:
        wf.escalate_case(case, actor=cases_world.mediator, reason="调解不成")
    assert "调查" in error.value.message or "Investigation" in error.value.message
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    _attach_escalation_material(
        case, cases_world, kinds=[AttachmentKind.INVESTIGATION, AttachmentKind.UNRESOLVED_REASONS]
    )
    wf.escalate_case(case, actor=cases_world.mediator, reason="调解不成")
    assert case.status == Status.ESCALATED and case.escalation_level == 1
    assert case.lead_unit is None and case.deadline is None


def test_transfer_out_tells_the_resident_where_it_went(cases_world):
    case = register(cases_world)
    wf.transfer_out(case, actor=cases_world.director, to_body="区劳动人事争议仲裁院",
                    note_for_resident="请携带劳动合同到区仲裁院立案。")  # fmt: skip
    assert case.status == Status.TRANSFERRED_OUT
    event = case.events.get(action="transferred_out")
    assert event.is_public and "仲裁院" in event.note


# --- closing and follow-up ------------------------------------------------------------------


def resolved(w):
    case = handling(w)
    wf.submit_result(case, actor=w.mediator, result="双方达成协议，楼上维修防水。")
    return case


def test_result_close_and_satisfied_follow_up(cases_world):
    case = resolved(cases_world)
    assert case.status == Status.RESOLVED
    with pytest.raises(wf.NotAllowed):
        wf.close_case(case, actor=cases_world.mediator)
    wf.close_case(case, actor=cases_world.director)
    assert case.status == Status.CLOSED
    wf.follow_up(case, actor=cases_world.desk, satisfaction=Satisfaction.SATISFIED, comment="满意")
    assert case.status == Status.CLOSED and case.follow_ups.count() == 1


def test_dissatisfied_follow_up_reopens_with_a_new_deadline(cases_world, today):
    case = resolved(cases_world)
    wf.close_case(case, actor=cases_world.director)
    today(date(2026, 11, 2))
    wf.follow_up(case, actor=cases_world.desk, satisfaction="dissatisfied",
                 comment="仍在漏水", reopen=True)  # fmt: skip
    assert case.status == Status.REOPENED
    assert case.deadline == date(2026, 11, 11)
    assert "仍在漏水" in case.events.get(action="reopened_after_follow_up").note
    wf.submit_result(case, actor=cases_world.mediator, result="重新维修")
    assert case.status == Status.RESOLVED


def test_dissatisfied_but_kept_closed_needs_a_reason(cases_world):
    case = resolved(cases_world)
    wf.close_case(case, actor=cases_world.director)
    with pytest.raises(wf.Invalid):
        wf.follow_up(case, actor=cases_world.desk, satisfaction="dissatisfied")
    wf.follow_up(case, actor=cases_world.desk, satisfaction="dissatisfied",
                 close_reason="诉求超出政策范围，已解释")  # fmt: skip
    assert case.status == Status.CLOSED


def test_supervisor_orders_re_handling(cases_world):
    case = resolved(cases_world)
    with pytest.raises(wf.Invalid):
        wf.reopen_case(case, actor=cases_world.supervisor, reason="")
    wf.reopen_case(case, actor=cases_world.supervisor, reason="结果未达要求")
    assert case.status == Status.REOPENED


def test_archive_takes_old_closed_cases_once(cases_world, settings):
    from datetime import timedelta

    from django.utils import timezone

    case = register(cases_world, settle_on_the_spot=True, result="当场解决")
    later = timezone.now() + timedelta(days=settings.YIMEN_ARCHIVE_AFTER_DAYS + 1)
    assert wf.archive_closed(later) == 1
    assert wf.archive_closed(later) == 0
    case.refresh_from_db()
    assert case.status == Status.ARCHIVED


# --- recusal and scoping -------------------------------------------------------------------


def test_complaint_about_staff_is_never_routed_to_them(cases_world):
    case = register(cases_world, category="staff_complaint", about_staff=cases_world.unit,
                    title="投诉民警态度差")  # fmt: skip
    with pytest.raises(wf.Invalid) as error:
        wf.route_case(case, actor=cases_world.director, unit=cases_world.police,
                      complexity="general", override_reason="x")  # fmt: skip
    assert "recusal" in error.value.message.lower() or "回避" in error.value.message
    assert Event.objects.filter(action="cases.case.recusal_refused").exists()
    case.refresh_from_db()
    assert case.status == Status.REGISTERED


def test_complaint_about_a_unit_is_invisible_to_that_unit(cases_world):
    case = register(cases_world, category="staff_complaint", about_unit=cases_world.committee_a)
    assert case not in Case.objects.for_user(cases_world.mediator)
    assert case in Case.objects.for_user(cases_world.desk)


def test_complaint_about_staff_must_name_someone(cases_world):
    with pytest.raises(wf.Invalid):
        register(cases_world, category="staff_complaint")


def test_unit_staff_see_only_their_units_cases(cases_world):
    mine = routed(cases_world)
    other = register(cases_world)
    visible = Case.objects.for_user(cases_world.mediator)
    assert mine in visible and other in visible  # mediator: community scope
    police_cases = Case.objects.for_user(cases_world.unit)
    assert mine not in police_cases and other not in police_cases
    wf.route_case(other, actor=cases_world.director, unit=cases_world.committee_a,
                  complexity="general", co_units=[cases_world.police])  # fmt: skip
    assert list(Case.objects.for_user(cases_world.unit)) == [other]


def test_another_communitys_cases_are_invisible(cases_world):
    register(cases_world)
    assert Case.objects.for_user(cases_world.desk_b).count() == 0
    assert Case.objects.for_user(cases_world.director).count() == 1


def test_every_transition_writes_an_audit_event(cases_world):
    case = resolved(cases_world)
    actions = set(
        Event.objects.filter(object_type="cases.case", object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"cases.case.registered", "cases.case.routed", "cases.case.accepted",
            "cases.case.resolved"} <= actions  # fmt: skip


def test_provisional_deadline_is_recounted_when_the_year_is_published(
    cases_world, today, django_capture_on_commit_callbacks
):
    from yimen.workdays import services as calendar

    today(date(2026, 12, 28))
    case = routed(cases_world)
    assert (case.deadline, case.deadline_provisional) == (date(2027, 1, 6), True)
    lines = calendar.parse_schedule("2027-01-01 休 元旦\n2027-01-04 休 假想的地方假日", 2027)
    with django_capture_on_commit_callbacks(execute=True):
        calendar.publish_year(2027, lines, actor=cases_world.admin)
    case.refresh_from_db()
    # 12-29, 12-30, 12-31, 1-5, 1-6, 1-7, 1-8 (1-1 and 1-4 now holidays)
    assert (case.deadline, case.deadline_provisional) == (date(2027, 1, 8), False)
    entry = case.events.get(action="deadline_recomputed")
    assert entry.data["deadline"] == ["2027-01-06", "2027-01-08"]


def test_online_submission_is_an_online_case_without_a_staff_receiver(cases_world):
    result = wf.submit_online(
        title="路灯不亮",
        description="小区门口路灯坏了一周。",
        category=Category.objects.get(code="urban"),
        jurisdiction=cases_world.community_a,
        phone="13812345678",
    )
    case = result.case
    assert case.channel == "online" and case.received_by is None
    assert case.parties.get().role == "applicant"
    assert case in Case.objects.for_user(cases_world.director)


def test_online_submission_needs_a_phone_and_a_place(cases_world):
    with pytest.raises(wf.Invalid) as error:
        wf.submit_online(title="x", description="y", category=Category.objects.get(code="urban"),
                         jurisdiction=None, phone="12")  # fmt: skip
    assert {"phone", "jurisdiction"} <= set(error.value.fields)
    assert not Case.objects.exists()


def test_a_map_point_finds_its_grid(db):
    from django.core.management import call_command

    from yimen.org.models import Jurisdiction
    from yimen.org.places import jurisdiction_at

    call_command("demo", stdout=io.StringIO())
    grid = Jurisdiction.objects.get(code="330102001001-01")
    ring = grid.polygon["coordinates"][0]
    lon = sum(p[0] for p in ring[:-1]) / 4
    lat = sum(p[1] for p in ring[:-1]) / 4
    assert jurisdiction_at(lat, lon) == grid
    assert jurisdiction_at(0, 0) is None


def test_extension_is_capped_at_a_year(cases_world, today):
    case = handling(cases_world)
    with pytest.raises(wf.Invalid) as error:
        wf.request_extension(case, actor=cases_world.mediator, reason="x",
                             new_deadline=date(9999, 12, 31))  # fmt: skip
    assert "new_deadline" in error.value.fields
