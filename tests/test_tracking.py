"""/track/: a resident follows their matter by receipt number and tracking code, rates the
result once it has one, and may ask once for re-handling. A wrong number and a wrong code
are the same "not found"; internal notes, parties and staff names are never shown."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from yimen.audit.models import Event
from yimen.cases import workflow
from yimen.cases.models import Case, CaseEvent, Category, FollowUp, Satisfaction, Status
from yimen.notices.models import Notification

from . import portal_support as support
from .portal_support import PHONE

fresh_cache, resident = support.fresh_cache, support.resident

INTERNAL = "内部：当事人情绪激动，注意安全"
PUBLIC = "已上门查看，正在联系物业。"


def submitted(w, **kwargs):
    """A matter the resident reported online; returns (case, tracking code)."""
    registered = workflow.submit_online(
        title="楼道堆放杂物",
        description="楼道里堆满了杂物，影响通行。",
        category=Category.objects.get(code=kwargs.pop("category", "neighbour")),
        jurisdiction=w.community_a,
        phone=PHONE,
        name="王芳",
        **kwargs,
    )
    return registered.case, registered.tracking_code


def handled(w):
    """Routed to the mediation committee, accepted, one internal and one public note."""
    case, code = submitted(w)
    workflow.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    workflow.accept_case(case, actor=w.mediator)
    workflow.record_action(case, actor=w.mediator, kind="visit", note=INTERNAL)
    workflow.record_action(case, actor=w.mediator, kind="visit", note=PUBLIC, public=True)
    return case, code


def resolved(w):
    case, code = handled(w)
    workflow.submit_result(case, actor=w.mediator, result="物业已清理楼道。")
    return case, code


def look_up(client, number, code):
    return client.post("/track/", {"number": number, "code": code})


def shown(client, case, code):
    """Look the case up and return the page the resident then sees."""
    response = look_up(client, case.receipt_number, code)
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get("/track/")
    assert page.status_code == 200
    return page.content.decode()


def _without_tokens(html):
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'value="[^"]*"', "", html)


# --- looking a matter up ---------------------------------------------------------------------


def test_the_right_number_and_code_show_the_matter(cases_world, resident):
    w = cases_world
    case, code = handled(w)
    html = shown(resident, case, code.lower())  # typed in lower case, with the number as given
    assert case.receipt_number in html
    assert "Being handled" in html
    assert w.committee_a.name in html
    case.refresh_from_db()
    assert f'datetime="{case.deadline.isoformat()}"' in html
    assert PUBLIC in html
    assert "Neighbour dispute" in html


def test_a_wrong_number_and_a_wrong_code_get_the_same_not_found(cases_world, resident):
    case, code = handled(cases_world)
    other = "A" * 8 if code != "A" * 8 else "B" * 8
    wrong_code = look_up(resident, case.receipt_number, other)
    wrong_number = look_up(resident, "YM-2026-999999", code)
    no_such = look_up(resident, "NONSENSE", "ZZZZZZZZ")
    assert wrong_code.status_code == wrong_number.status_code == no_such.status_code == 404
    pages = {_without_tokens(r.content.decode()) for r in (wrong_code, wrong_number, no_such)}
    assert len(pages) == 1
    assert "No matter was found with this receipt number and tracking code." in pages.pop()
    assert "portal.tracked" not in resident.session


def test_a_lookup_by_get_works_and_leaves_the_address_bar(cases_world, resident):
    case, code = handled(cases_world)
    response = resident.get("/track/", {"number": case.receipt_number, "code": code})
    assert response.status_code == 302 and response["Location"] == "/track/"


def test_the_code_is_compared_in_constant_time(cases_world, resident, monkeypatch):
    from yimen.portal import tracking

    case, code = handled(cases_world)
    compared = []
    real = tracking.constant_time_compare
    monkeypatch.setattr(
        tracking, "constant_time_compare", lambda a, b: compared.append((a, b)) or real(a, b)
    )
    look_up(resident, case.receipt_number, "WRONGCOD")
    look_up(resident, "YM-2026-999999", code)
    assert len(compared) == 2  # the unknown number is compared all the same


def test_lookups_are_rate_limited_per_ip(cases_world, resident, settings):
    settings.YIMEN_PORTAL_LOOKUPS_PER_IP_HOUR = 3
    case, code = handled(cases_world)
    for _ in range(3):
        assert look_up(resident, case.receipt_number, "WRONGCOD").status_code == 404
    response = look_up(resident, case.receipt_number, code)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Too many look-ups" in html
    assert f'value="{case.receipt_number}"' in html  # what was typed stays
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.9.9")
    assert look_up(other, case.receipt_number, code).status_code == 302


def test_an_incomplete_lookup_is_asked_again_and_not_counted(cases_world, resident, settings):
    settings.YIMEN_PORTAL_LOOKUPS_PER_IP_HOUR = 1
    case, code = handled(cases_world)
    assert look_up(resident, "", "").status_code == 400
    assert look_up(resident, case.receipt_number, code).status_code == 302


def test_the_verified_matter_is_kept_only_for_a_while(cases_world, resident, settings):
    case, code = resolved(cases_world)
    shown(resident, case, code)
    settings.YIMEN_PORTAL_TRACK_SECONDS = -1
    assert look_up(resident, case.receipt_number, code).status_code == 302
    page = resident.get("/track/").content.decode()
    assert 'name="number"' in page and case.receipt_number not in page
    response = resident.post("/track/rate/", {"satisfaction": "satisfied"}, follow=True)
    assert "For your privacy a matter is shown only for a short time." in (
        response.content.decode()
    )
    assert not FollowUp.objects.exists()


def test_done_forgets_the_matter_in_this_browser(cases_world, resident):
    case, code = handled(cases_world)
    shown(resident, case, code)
    resident.post("/track/forget/")
    assert case.receipt_number not in resident.get("/track/").content.decode()


# --- what is never shown --------------------------------------------------------------------


def test_internal_notes_parties_and_staff_are_never_shown(cases_world, resident):
    w = cases_world
    case, code = handled(w)
    workflow.request_extension(
        case,
        actor=w.mediator,
        reason="内部：等待物业回复",
        new_deadline=case.deadline + timedelta(days=30),
    )
    html = shown(resident, case, code)
    assert PUBLIC in html
    assert INTERNAL not in html and "内部：等待物业回复" not in html
    assert "王芳" not in html and PHONE not in html and "1381234" not in html
    for user in get_user_model().objects.all():
        assert user.display_name not in html, user.username
        assert f">{user.username}<" not in html
    assert case.description not in html  # the account is the resident's own, not repeated


def test_a_returned_case_shows_no_unit_and_no_reason(cases_world, resident):
    w = cases_world
    case, code = submitted(w)
    workflow.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    workflow.return_case(case, actor=w.mediator, reason="内部：不属于我们")
    html = shown(resident, case, code)
    assert "内部：不属于我们" not in html
    assert "waiting to be assigned" in html
    assert "not assigned yet" in html


def test_a_transferred_matter_says_where_it_went(cases_world, resident):
    w = cases_world
    case, code = submitted(w)
    workflow.transfer_out(
        case, actor=w.director, to_body="区市场监管局", note_for_resident="请联系区市场监管局。"
    )
    html = shown(resident, case, code)
    assert "Transferred to another body" in html
    assert "区市场监管局" in html and "请联系区市场监管局。" in html


# --- rating ---------------------------------------------------------------------------------


def test_no_rating_before_there_is_a_result(cases_world, resident):
    case, code = handled(cases_world)
    html = shown(resident, case, code)
    assert "/track/rate/" not in html and "/track/rehandle/" not in html
    response = resident.post("/track/rate/", {"satisfaction": "satisfied"})
    assert response.status_code == 409
    assert not FollowUp.objects.exists()


def test_the_resident_rates_the_result_once(cases_world, resident):
    w = cases_world
    case, code = resolved(w)
    html = shown(resident, case, code)
    assert "物业已清理楼道。" in html
    assert 'action="/track/rate/"' in html

    response = resident.post(
        "/track/rate/", {"satisfaction": "basically", "comment": "还算及时。"}, follow=True
    )
    html = response.content.decode()
    assert "Thank you: your rating was recorded." in html
    assert "Basically satisfied" in html
    assert 'action="/track/rate/"' not in html
    rating = FollowUp.objects.get()
    assert (rating.by, rating.by_resident) == (None, True)
    assert (rating.satisfaction, rating.comment) == (Satisfaction.BASICALLY, "还算及时。")
    event = CaseEvent.objects.get(case=case, action="rated_by_resident")
    assert event.is_public and event.actor is None
    assert Event.objects.filter(action="cases.case.rated_by_resident", actor=None).exists()

    again = resident.post("/track/rate/", {"satisfaction": "dissatisfied"})
    assert again.status_code == 409
    assert "already rated" in again.content.decode()
    assert FollowUp.objects.count() == 1
    case.refresh_from_db()
    assert case.status == Status.RESOLVED  # a rating changes nothing else


def test_a_new_result_after_re_handling_may_be_rated_again(cases_world):
    w = cases_world
    case, _code = resolved(w)
    workflow.rate_by_resident(case, Satisfaction.DISSATISFIED, "没解决")
    workflow.reopen_case(case, actor=w.supervisor, reason="居民不满意")
    assert not workflow.may_rate(case)
    workflow.submit_result(case, actor=w.mediator, result="第二次处理完毕。")
    assert workflow.may_rate(case)
    workflow.rate_by_resident(case, Satisfaction.SATISFIED)
    assert FollowUp.objects.filter(by_resident=True).count() == 2


def test_a_rating_needs_a_choice(cases_world, resident):
    case, code = resolved(cases_world)
    shown(resident, case, code)
    response = resident.post("/track/rate/", {"comment": "只写了评论"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose how satisfied you are." in html
    assert "只写了评论" in html
    assert not FollowUp.objects.exists()


def test_a_closed_case_may_be_rated_and_then_needs_no_desk_follow_up(cases_world, resident):
    from yimen.cases.inbox import awaiting_follow_up

    w = cases_world
    case, code = resolved(w)
    workflow.close_case(case, actor=w.director)
    assert list(awaiting_follow_up(w.desk)) == [case]
    shown(resident, case, code)
    resident.post("/track/rate/", {"satisfaction": "satisfied"})
    assert list(awaiting_follow_up(w.desk)) == []


def test_the_staff_case_page_shows_the_resident_rated_it(cases_world, client_for):
    w = cases_world
    case, _code = resolved(w)
    workflow.rate_by_resident(case, Satisfaction.SATISFIED, "谢谢")
    client = client_for(w.director)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "the resident, online" in html
    assert "Rated by the resident" in html


def test_a_follow_up_is_by_staff_or_by_the_resident_never_both(cases_world):
    from django.db import IntegrityError, transaction

    case, _code = resolved(cases_world)
    for by, by_resident in ((cases_world.desk, True), (None, False)):
        with pytest.raises(IntegrityError), transaction.atomic():
            FollowUp.objects.create(
                case=case, by=by, by_resident=by_resident, at=case.resolved_at, satisfaction="ok"
            )


# --- re-handling ----------------------------------------------------------------------------


def test_the_resident_asks_once_for_re_handling(
    cases_world, resident, django_capture_on_commit_callbacks
):
    w = cases_world
    case, code = resolved(w)
    shown(resident, case, code)
    with django_capture_on_commit_callbacks(execute=True):
        response = resident.post("/track/rehandle/", {"reason": "楼道又堆满了。"}, follow=True)
    html = response.content.decode()
    assert "Your request was recorded" in html
    assert "Being handled again" in html
    assert "Re-handling requested by the resident" in html and "楼道又堆满了。" in html
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    assert case.lead_unit == w.committee_a
    assert case.deadline is not None and case.resolved_at is None
    event = CaseEvent.objects.get(case=case, action="rehandling_requested")
    assert event.is_public and event.actor is None and event.data["deadline"]
    notified = Notification.objects.filter(case=case).values_list("recipient__username", flat=True)
    assert {"mediator", "director"} <= set(notified)

    # Once: after the next result the offer is gone and a second request is refused.
    workflow.submit_result(case, actor=w.mediator, result="再次清理。")
    html = resident.get("/track/").content.decode()
    assert "/track/rehandle/" not in html
    assert "You asked for re-handling of this matter once" in html
    again = resident.post("/track/rehandle/", {"reason": "还是不行"})
    assert again.status_code == 409
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_re_handling_needs_no_reason_and_is_never_rate_limited(cases_world, resident, settings):
    settings.YIMEN_PORTAL_LOOKUPS_PER_IP_HOUR = 1
    case, code = resolved(cases_world)
    shown(resident, case, code)
    assert resident.post("/track/rehandle/", {"reason": ""}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REOPENED


def test_a_matter_settled_on_the_spot_goes_back_to_the_routing_queue(
    cases_world, django_capture_on_commit_callbacks
):
    from yimen.cases.inbox import routing_queue

    w = cases_world
    registered = workflow.register_case(
        actor=w.desk,
        title="噪音",
        description="夜间施工噪音。",
        category=Category.objects.get(code="neighbour"),
        channel="visit",
        jurisdiction=w.community_a,
        parties=[workflow.NewParty("王芳", "applicant", PHONE)],
        settle_on_the_spot=True,
        result="当场联系施工方停工。",
    )
    case = registered.case
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_rehandling_by_resident(case, "第二天又开始了")
    case.refresh_from_db()
    assert case.status == Status.REGISTERED
    assert list(routing_queue(w.director)) == [case]
    assert Notification.objects.filter(case=case, recipient=w.director).exists()


def test_re_handling_is_only_for_a_matter_with_a_result(cases_world):
    case, _code = handled(cases_world)
    with pytest.raises(workflow.WorkflowError):
        workflow.request_rehandling_by_resident(case, "")
    assert not Case.objects.filter(status=Status.REOPENED).exists()
