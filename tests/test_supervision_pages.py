"""The supervision pages: the desk, reminder slips, the named-supervision board, re-handling.

Everything is scoped through the case: desk_b of community B sees none of community A's
cases, slips or listings, and every URL of one of them is a 404 for desk_b.
"""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from yimen.audit.models import Event
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category, Complexity, Status
from yimen.notices.models import Notification
from yimen.supervision import services
from yimen.supervision.models import NamedSupervision, ReminderSlip, ReminderStatus
from yimen.supervision.sweep import run_sweep

TODAY = date(2026, 9, 30)  # a Wednesday, the National Day holiday ahead


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Freeze 'today' for the workflow, the services and the pages."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    set_day(TODAY)
    return set_day


@pytest.fixture
def en(client_for):
    """A logged-in client reading English, so messages can be matched."""

    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def register(w, *, place=None, category="neighbour", **kwargs) -> Case:
    return wf.register_case(
        actor=w.desk_b if place == w.community_b else w.desk,
        title=kwargs.pop("title", "楼上漏水"),
        description="楼上卫生间漏水到楼下。",
        category=Category.objects.get(code=category),
        channel="visit",
        jurisdiction=place or w.community_a,
        parties=[wf.NewParty("王芳", "applicant", "13812345678")],
        **kwargs,
    ).case


def handled(w, *, complexity=Complexity.COMPLEX, place=None, deadline=None, **route) -> Case:
    case = register(w, place=place)
    unit = route.pop("unit", w.committee_b if place == w.community_b else w.committee_a)
    wf.route_case(case, actor=w.director, unit=unit, complexity=complexity, **route)
    handler = {w.committee_a: w.mediator, w.committee_b: w.mediator_b}.get(unit, w.unit)
    wf.accept_case(case, actor=handler)
    if deadline is not None:
        Case.objects.filter(pk=case.pk).update(deadline=deadline)
        case.refresh_from_db()
    return case


def resolved(w, **kwargs) -> Case:
    case = handled(w, **kwargs)
    wf.submit_result(case, actor=w.mediator, result="双方达成协议，楼上维修防水。")
    return case


def count_of(response, key) -> int:
    match = re.search(rf'data-count="{key}">(\d+)<', response.content.decode())
    assert match, f"no tile {key}"
    return int(match.group(1))


def rows(response) -> list[str]:
    """The receipt numbers of the desk's case table, in order."""
    html = response.content.decode()
    table = html.split('id="open-cases"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<td class="nowrap"><a href="/cases/\d+/">(YM-[\d-]+)</a>', table)


# --- the desk ---------------------------------------------------------------------------------


@pytest.fixture
def desk_cases(cases_world):
    w = cases_world
    return {
        "late2": handled(w, deadline=date(2026, 9, 25)),
        "late1": handled(w, deadline=date(2026, 9, 29), unit=w.police, override_reason="治安"),
        "due": handled(w, deadline=TODAY),
        "soon": handled(w, deadline=date(2026, 10, 9)),  # 2 working days after the holiday
        "later": handled(w, deadline=date(2026, 10, 12)),
        "waiting": register(w, title="待分流"),
        "b": handled(w, place=w.community_b, deadline=date(2026, 9, 28)),
        "done": resolved(w, deadline=date(2026, 9, 20)),
    }


def test_desk_lists_every_open_case_by_time_left_with_tiles_that_match(
    cases_world, desk_cases, client_for
):
    c = desk_cases
    client = client_for(cases_world.supervisor)
    response = client.get(reverse("supervision:desk"))
    assert response.status_code == 200
    order = ["late2", "b", "late1", "due", "soon", "later", "waiting"]
    assert rows(response) == [c[k].receipt_number for k in order]
    assert c["done"].receipt_number not in rows(response)
    expected = {"all": 7, "overdue": 3, "due": 1, "approaching": 1}
    for show, number in expected.items():
        assert count_of(response, show) == number
        listed = client.get(reverse("supervision:desk"), {"show": show})
        assert len(rows(listed)) == number == listed.context["page"].paginator.count


def test_desk_filters_by_unit_leader_category_and_grid(cases_world, desk_cases, client_for):
    w, c = cases_world, desk_cases
    leader_case = handled(w, complexity=Complexity.LEADER, leader=w.leader,
                          deadline=date(2026, 10, 8))  # fmt: skip
    listed = handled(w, deadline=date(2026, 10, 20))
    services.list_for_supervision(listed, actor=w.director, unit=w.committee_a, leader=w.leader,
                                  deadline=date(2026, 10, 30), reason="久拖未决")  # fmt: skip
    client = client_for(w.supervisor)
    url = reverse("supervision:desk")

    by_unit = client.get(url, {"unit": w.police.pk})
    assert rows(by_unit) == [c["late1"].receipt_number] and count_of(by_unit, "all") == 1
    by_leader = client.get(url, {"leader": w.leader.pk})
    assert rows(by_leader) == [leader_case.receipt_number, listed.receipt_number]
    assert count_of(by_leader, "approaching") == 1  # the leader case, due 10-8
    by_grid = client.get(url, {"grid": w.community_b.code})
    assert rows(by_grid) == [c["b"].receipt_number] and count_of(by_grid, "overdue") == 1
    by_category = client.get(url, {"category": "public_order"})
    assert rows(by_category) == [] and count_of(by_category, "all") == 0
    both = client.get(url, {"grid": w.community_b.code, "show": "due"})
    assert rows(both) == [] and count_of(both, "all") == 1


def test_desk_is_scoped_to_the_users_jurisdiction(cases_world, desk_cases, client_for):
    w, c = cases_world, desk_cases
    response = client_for(w.desk_b).get(reverse("supervision:desk"))
    assert response.status_code == 200
    assert rows(response) == [c["b"].receipt_number]
    assert count_of(response, "all") == 1
    assert c["late1"].receipt_number not in response.content.decode()
    # A place of another community is not a filter desk_b can use.
    foreign = client_for(w.desk_b).get(reverse("supervision:desk"), {"grid": "CA"})
    assert rows(foreign) == [] and count_of(foreign, "all") == 0


def test_navigation_offers_supervision_to_the_center(cases_world, client_for):
    page = client_for(cases_world.supervisor).get(reverse("home")).content.decode()
    assert reverse("supervision:desk") in page and reverse("supervision:board") in page
    desk = client_for(cases_world.desk).get(reverse("home")).content.decode()
    assert reverse("supervision:board") not in desk


# --- re-handling --------------------------------------------------------------------------------


def test_supervisor_orders_re_handling_from_the_desk(
    cases_world, client_for, en, django_capture_on_commit_callbacks
):
    w = cases_world
    case = resolved(w)
    url = reverse("supervision:rehandle", args=[case.pk])
    desk = client_for(w.supervisor).get(reverse("supervision:desk")).content.decode()
    assert url in desk

    refused = en(w.supervisor).post(url, {"reason": " ", "next": reverse("supervision:desk")})
    assert refused.status_code == 400
    assert "Say why the case must be handled again." in refused.content.decode()
    case.refresh_from_db()
    assert case.status == Status.RESOLVED

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(w.supervisor).post(
            url, {"reason": "回访群众不满意，防水未修好", "next": reverse("supervision:desk")}
        )
    assert response.status_code == 302 and response["Location"] == reverse("supervision:desk")
    told = Notification.objects.get(recipient=w.mediator, kind="reopened")
    assert told.case_id == case.pk and "2026-10-27" in told.message
    case.refresh_from_db()
    assert case.status == Status.REOPENED and case.lead_unit == w.committee_a
    # 15 working days from 9-30: 10-8 … 10-27, the holiday week skipped, Saturday 10-10 worked.
    assert case.deadline == date(2026, 10, 27) and case.assigned_on == TODAY
    event = case.events.get(action="reopened")
    assert event.actor == w.supervisor and "不满意" in event.note


def test_re_handling_is_refused_to_others(cases_world, client_for, en):
    w = cases_world
    case = resolved(w)
    url = reverse("supervision:rehandle", args=[case.pk])
    assert client_for(w.desk_b).post(url, {"reason": "x"}).status_code == 404
    refused = en(w.mediator).post(url, {"reason": "x"})
    assert refused.status_code == 403 and "Order re-handling" in refused.content.decode()
    open_case = handled(w)
    wrong_state = en(w.supervisor).post(
        reverse("supervision:rehandle", args=[open_case.pk]), {"reason": "x"}
    )
    assert wrong_state.status_code == 409
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


# --- reminder slips -----------------------------------------------------------------------------


def test_reminder_slip_from_issue_to_reply(cases_world, client_for, en):
    w = cases_world
    case = handled(w, deadline=date(2026, 9, 28))
    detail = client_for(w.supervisor).get(reverse("cases:detail", args=[case.pk])).content
    assert reverse("supervision:reminder_new", args=[case.pk]).encode() in detail

    response = client_for(w.supervisor).post(
        reverse("supervision:reminder_new", args=[case.pk]),
        {"text": "请于10月9日前报告办理进展。", "reply_by": "2026-10-09"},
    )
    slip = ReminderSlip.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:reminder", args=[slip.pk])
    assert re.fullmatch(r"CB-2026-\d{6}", slip.number)
    assert slip.status == ReminderStatus.DRAFT and slip.unit == w.committee_a
    assert Notification.objects.filter(recipient=w.director, kind="reminder_slip").exists()

    # Until a director signs it, the unit does not see it.
    slip_url = reverse("supervision:reminder", args=[slip.pk])
    assert client_for(w.mediator).get(slip_url).status_code == 404
    assert (
        slip.number
        not in client_for(w.mediator).get(reverse("supervision:reminders")).content.decode()
    )

    page = client_for(w.director).get(slip_url)
    assert reverse("supervision:reminder_approve", args=[slip.pk]).encode() in page.content
    signed = client_for(w.director).post(reverse("supervision:reminder_approve", args=[slip.pk]))
    assert signed.status_code == 302
    slip.refresh_from_db()
    assert slip.status == ReminderStatus.APPROVED and slip.approved_by == w.director
    assert Notification.objects.filter(recipient=w.mediator, kind="reminder_slip").exists()

    page = client_for(w.mediator).get(slip_url)
    assert page.status_code == 200 and page.context["reply_form"] is not None
    replied = client_for(w.mediator).post(
        reverse("supervision:reminder_reply", args=[slip.pk]), {"reply": "已约双方10月8日调解。"}
    )
    assert replied.status_code == 302
    slip.refresh_from_db()
    assert slip.status == ReminderStatus.REPLIED and slip.replied_by == w.mediator
    assert Notification.objects.filter(recipient=w.supervisor, kind="reminder_slip").exists()

    actions = list(case.events.values_list("action", flat=True))
    assert ["reminder_issued", "reminder_signed", "reminder_replied"] == actions[-3:]
    audited = set(Event.objects.filter(object_id=str(case.pk)).values_list("action", flat=True))
    assert {"cases.case.reminder_issued", "cases.case.reminder_signed",
            "cases.case.reminder_replied"} <= audited  # fmt: skip

    pdf = client_for(w.mediator).get(reverse("supervision:reminder_pdf", args=[slip.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"STSong-Light" in pdf.content
    listing = client_for(w.supervisor).get(reverse("supervision:reminders"), {"status": "replied"})
    assert slip.number in listing.content.decode() and count_of(listing, "replied") == 1


def test_a_reminder_for_a_closed_case_is_refused_with_a_reason(cases_world, en):
    w = cases_world
    case = resolved(w)
    wf.close_case(case, actor=w.director)
    url = reverse("supervision:reminder_new", args=[case.pk])
    page = en(w.supervisor).get(url)
    assert page.status_code == 409
    assert "a reminder slip is only for a case still being handled" in page.content.decode()
    posted = en(w.supervisor).post(url, {"text": "催办", "reply_by": "2026-10-09"})
    assert posted.status_code == 409 and not ReminderSlip.objects.exists()


def test_reminder_input_is_checked(cases_world, en):
    w = cases_world
    case = handled(w)
    url = reverse("supervision:reminder_new", args=[case.pk])
    response = en(w.supervisor).post(url, {"text": " ", "reply_by": "2026-09-01"})
    assert response.status_code == 400
    assert "Write what the unit is reminded of." in response.content.decode()
    late = en(w.supervisor).post(url, {"text": "催办", "reply_by": "2026-09-01"})
    assert late.status_code == 400 and "from today on" in late.content.decode()
    assert en(w.director).get(url).status_code == 403  # directors sign; supervisors issue
    assert not ReminderSlip.objects.exists()


def test_only_a_director_in_scope_signs_and_only_the_unit_replies(cases_world, client_for, en):
    w = cases_world
    case = handled(w, co_units=[w.police])
    slip = services.issue_reminder(
        case, actor=w.supervisor, text="请加快办理", reply_by=date(2026, 10, 9)
    )
    sign = reverse("supervision:reminder_approve", args=[slip.pk])
    reply = reverse("supervision:reminder_reply", args=[slip.pk])

    wrong = en(w.supervisor).post(sign)
    assert wrong.status_code == 403 and "Only a center director" in wrong.content.decode()
    assert client_for(w.desk_b).post(sign).status_code == 404
    early = en(w.mediator).post(reply, {"reply": "已办"})
    assert early.status_code == 404  # a draft is not shown to the unit at all
    slip.refresh_from_db()
    assert slip.status == ReminderStatus.DRAFT

    services.approve_reminder(slip, actor=w.director)
    again = en(w.director).post(sign)
    assert again.status_code == 409 and "already signed" in again.content.decode()
    co_unit = en(w.unit).post(reply, {"reply": "我所配合"})  # police: co-unit, not the lead
    assert co_unit.status_code == 403 and "Only the staff of" in co_unit.content.decode()
    director = en(w.director).post(reply, {"reply": "x"})
    assert director.status_code == 403
    empty = en(w.mediator).post(reply, {"reply": ""})
    assert empty.status_code == 400 and "Write the unit" in empty.content.decode()
    slip.refresh_from_db()
    assert slip.status == ReminderStatus.APPROVED


def test_slips_of_another_community_are_not_found(cases_world, client_for):
    w = cases_world
    slip = services.issue_reminder(
        handled(w), actor=w.supervisor, text="催办", reply_by=date(2026, 10, 9)
    )
    services.approve_reminder(slip, actor=w.director)
    b = client_for(w.desk_b)
    for name in ("supervision:reminder", "supervision:reminder_pdf"):
        assert b.get(reverse(name, args=[slip.pk])).status_code == 404
    assert (
        b.post(reverse("supervision:reminder_reply", args=[slip.pk]), {"reply": "x"}).status_code
        == 404
    )
    assert slip.number not in b.get(reverse("supervision:reminders")).content.decode()
    assert count_of(b.get(reverse("supervision:reminders")), "all") == 0


def test_a_draft_can_be_printed_and_says_it_is_unsigned(cases_world, client_for):
    w = cases_world
    slip = services.issue_reminder(
        handled(w), actor=w.supervisor, text="催办<b>", reply_by=date(2026, 10, 9)
    )
    response = client_for(w.supervisor).get(reverse("supervision:reminder_pdf", args=[slip.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert slip.number.encode() in response["Content-Disposition"].encode()


# --- named supervision --------------------------------------------------------------------------


def list_case(w, case, **overrides):
    data = {
        "unit": w.committee_a.pk,
        "leader": w.leader.pk,
        "deadline": "2026-10-30",
        "reason": "涉及多户，久拖未决",
        **overrides,
    }
    return data


def test_director_lists_a_complex_case_and_it_appears_on_the_board(cases_world, client_for, en):
    w = cases_world
    case = handled(w)
    url = reverse("supervision:list_case", args=[case.pk])
    assert client_for(w.director).get(url).status_code == 200
    response = client_for(w.director).post(url, list_case(w, case))
    item = NamedSupervision.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:board") + f"#supervision-{item.pk}"
    assert item.responsible_unit == w.committee_a and item.responsible_leader == w.leader
    assert item.deadline == date(2026, 10, 30) and item.listed_by == w.director
    assert Notification.objects.filter(recipient=w.leader, case=case).exists()
    assert case.events.filter(action="listed_for_supervision").exists()

    board = client_for(w.supervisor).get(reverse("supervision:board"))
    assert board.status_code == 200 and case.receipt_number in board.content.decode()
    again = en(w.director).post(url, list_case(w, case))
    assert again.status_code == 409 and "already under named supervision" in again.content.decode()


def test_listing_refuses_simple_cases_and_units_not_handling_it(cases_world, en):
    w = cases_world
    simple = handled(w, complexity=Complexity.GENERAL)
    refused = en(w.director).post(
        reverse("supervision:list_case", args=[simple.pk]), list_case(w, simple)
    )
    assert refused.status_code == 400 and "for complex matters" in refused.content.decode()
    case = handled(w)
    url = reverse("supervision:list_case", args=[case.pk])
    wrong_unit = en(w.director).post(url, list_case(w, case, unit=w.police.pk))
    assert wrong_unit.status_code == 400
    past = en(w.director).post(url, list_case(w, case, deadline="2026-09-01"))
    assert past.status_code == 400 and "after today" in past.content.decode()
    assert en(w.mediator).get(url).status_code == 403
    assert not NamedSupervision.objects.exists()


@pytest.fixture
def supervised(cases_world):
    w = cases_world
    case = handled(w)
    return services.list_for_supervision(
        case, actor=w.director, unit=w.committee_a, leader=w.leader,
        deadline=date(2026, 10, 30), reason="久拖未决",
    )  # fmt: skip


def test_progress_is_requested_reported_and_a_missing_one_flagged(
    cases_world, supervised, client_for, en, today
):
    w = cases_world
    item = supervised
    board_url = reverse("supervision:board")
    request_url = reverse("supervision:request_report", args=[item.pk])
    report_url = reverse("supervision:submit_report", args=[item.pk])

    assert en(w.mediator).post(request_url, {"due_date": "2026-10-09"}).status_code == 403
    response = client_for(w.supervisor).post(
        request_url, {"due_date": "2026-10-09", "note": "调解进展"}
    )
    assert response.status_code == 302
    pending = item.requests.get()
    assert pending.due_date == date(2026, 10, 9) and pending.requested_by == w.supervisor
    assert Notification.objects.filter(recipient=w.mediator, kind="progress_report_requested")
    twice = en(w.supervisor).post(request_url, {"due_date": "2026-10-12"})
    assert twice.status_code == 409 and "already requested" in twice.content.decode()

    # Nobody reports; after the date the sweep flags it and the board says so.
    today(date(2026, 10, 12))
    assert run_sweep(date(2026, 10, 12)).progress_missing == 1
    board = client_for(w.supervisor).get(board_url).content.decode()
    assert (
        "progress report missing" in board
        or "进展报告缺报" in board
        or item.requests.get().flagged_at
    )

    assert en(w.supervisor).post(report_url, {"text": "已调解"}).status_code == 403
    empty = en(w.mediator).post(report_url, {"text": ""})
    assert empty.status_code == 400 and "Describe the progress." in empty.content.decode()
    done = client_for(w.mediator).post(report_url, {"text": "10月10日组织双方调解，达成初步意向。"})
    assert done.status_code == 302
    pending.refresh_from_db()
    report = item.reports.get()
    assert pending.fulfilled_at is not None and pending.report == report
    board = client_for(w.supervisor).get(board_url).content.decode()
    assert "达成初步意向" in board
    assert run_sweep(date(2026, 10, 13)).progress_missing == 0


def test_closing_takes_the_listing_off_the_board(cases_world, supervised, client_for, en):
    w = cases_world
    url = reverse("supervision:close", args=[supervised.pk])
    assert en(w.mediator).post(url, {"note": "x"}).status_code == 403
    assert client_for(w.supervisor).post(url, {"note": "已化解"}).status_code == 302
    supervised.refresh_from_db()
    assert supervised.closed_at is not None and supervised.closed_by == w.supervisor
    board = client_for(w.supervisor).get(reverse("supervision:board"))
    assert board.context["page"].paginator.count == 0
    closed = client_for(w.supervisor).get(reverse("supervision:board"), {"closed": "1"})
    assert supervised.case.receipt_number in closed.content.decode()
    again = en(w.supervisor).post(url, {"note": ""})
    assert again.status_code == 409 and "closed" in again.content.decode()
    report = en(w.mediator).post(reverse("supervision:submit_report", args=[supervised.pk]),
                                 {"text": "x"})  # fmt: skip
    assert report.status_code == 409


def test_the_board_is_scoped(cases_world, supervised, client_for):
    w = cases_world
    b = client_for(w.desk_b)
    assert b.get(reverse("supervision:board")).context["page"].paginator.count == 0
    for name in ("supervision:request_report", "supervision:submit_report", "supervision:close"):
        assert b.post(reverse(name, args=[supervised.pk]), {"text": "x"}).status_code == 404
    assert b.get(reverse("supervision:list_case", args=[supervised.case.pk])).status_code == 404


def test_re_handling_from_the_board(cases_world, supervised, client_for):
    w = cases_world
    case = supervised.case
    wf.submit_result(case, actor=w.mediator, result="已办结")
    board = client_for(w.supervisor).get(reverse("supervision:board")).content.decode()
    assert reverse("supervision:rehandle", args=[case.pk]) in board
    response = client_for(w.supervisor).post(
        reverse("supervision:rehandle", args=[case.pk]),
        {"reason": "结果未达督办要求", "next": reverse("supervision:board")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("supervision:board")
    case.refresh_from_db()
    assert case.status == Status.REOPENED and case.deadline == date(2026, 10, 27)


def test_the_case_page_shows_its_supervision(cases_world, supervised, client_for):
    w = cases_world
    case = supervised.case
    services.issue_reminder(case, actor=w.supervisor, text="催办", reply_by=date(2026, 10, 9))
    page = client_for(w.supervisor).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="supervision"' in page and "CB-2026-" in page
    assert reverse("supervision:list_case", args=[case.pk]) not in page  # already listed
    unit_page = client_for(w.mediator).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "CB-2026-" not in unit_page  # the draft stays inside the center
