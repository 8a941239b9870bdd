"""'My work', the case list with its filters and paging, the routing queue, notifications.

Scoping is tested from the outside: desk_b of community B must not see, count, search or
guess community A's cases on any of these pages.
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from yimen.cases import workflow as wf
from yimen.cases.filters import filter_cases
from yimen.cases.inbox import inbox_for
from yimen.cases.models import Case, Category, Complexity, Status
from yimen.notices.models import Notification
from yimen.org.models import Role

from .factories import UserFactory

PHONE = "13812345678"
ID_NUMBER = "110101199001011234"


@pytest.fixture
def on(monkeypatch):
    """Freeze 'today' for the workflow (deadlines) and the pages (time left, overdue)."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)

    set_day(date(2026, 3, 2))  # a Monday
    return set_day


def register(w, *, actor=None, category="neighbour", **kwargs) -> Case:
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


def route(w, case, unit=None, complexity=Complexity.GENERAL, **kwargs) -> Case:
    wf.route_case(
        case, actor=w.director, unit=unit or w.committee_a, complexity=complexity, **kwargs
    )
    return case


def accepted(w, case, **kwargs) -> Case:
    route(w, case, **kwargs)
    wf.accept_case(case, actor=w.mediator)
    return case


def section(sections, key):
    return next(s for s in sections if s.key == key)


def numbers(cases):
    return [c.receipt_number for c in cases]


def tile_count(response, key) -> int:
    match = re.search(rf'data-count="{key}">(\d+)<', response.content.decode())
    assert match, f"no tile {key}"
    return int(match.group(1))


# --- my work ----------------------------------------------------------------------------


def test_director_inbox_holds_routing_urgent_closing_and_extensions(cases_world, on, client_for):
    w = cases_world
    new = register(w, title="新登记")
    urgent = register(w, title="群体纠纷", is_urgent=True)
    done = accepted(w, register(w, title="已办结"))
    wf.submit_result(done, actor=w.mediator, result="已达成协议")
    extended = accepted(w, register(w, title="需延期"))
    wf.request_extension(extended, actor=w.mediator, reason="需鉴定",
                         new_deadline=date(2026, 4, 30))  # fmt: skip
    leader_case = accepted(w, register(w, title="包案"), complexity=Complexity.LEADER,
                           leader=w.leader)  # fmt: skip
    wf.request_extension(leader_case, actor=w.mediator, reason="协调多部门",
                         new_deadline=date(2026, 5, 29))  # fmt: skip

    sections = inbox_for(w.director, date(2026, 3, 2))
    assert numbers(section(sections, "routing").cases) == numbers([urgent, new])  # urgent first
    assert numbers(section(sections, "urgent").cases) == [urgent.receipt_number]
    assert numbers(section(sections, "to_close").cases) == [done.receipt_number]
    extensions = section(sections, "extensions").cases
    assert numbers(extensions) == [extended.receipt_number]  # not the leader case
    assert extensions[0].pending_extension.new_deadline == date(2026, 4, 30)

    response = client_for(w.director).get(reverse("cases:inbox"))
    assert response.status_code == 200
    for s in response.context["sections"]:
        assert tile_count(response, s.key) == len(s.cases)
    assert tile_count(response, "routing") == 2
    assert "badge urgent" in response.content.decode()


def test_unit_inbox_is_sorted_by_deadline_and_includes_co_handled_cases(
    cases_world, on, client_for
):
    w = cases_world
    on(date(2026, 3, 4))
    later = route(w, register(w, title="后交办"))  # due 2026-03-13
    on(date(2026, 3, 2))
    sooner = route(w, register(w, title="先交办"))  # due 2026-03-11
    assert sooner.deadline < later.deadline
    sections = inbox_for(w.mediator, date(2026, 3, 2))
    assert numbers(section(sections, "to_accept").cases) == numbers([sooner, later])

    wf.accept_case(later, actor=w.mediator)
    joint = register(w, title="联办")
    route(w, joint, co_units=[w.police])
    wf.accept_case(joint, actor=w.mediator)

    sections = inbox_for(w.mediator, date(2026, 3, 2))
    assert numbers(section(sections, "to_accept").cases) == [sooner.receipt_number]
    assert numbers(section(sections, "handling").cases) == numbers([joint, later])

    police = inbox_for(w.unit, date(2026, 3, 2))
    assert joint.receipt_number in numbers(section(police, "handling").cases)

    page = client_for(w.mediator).get(reverse("cases:inbox")).content.decode()
    assert page.index(sooner.receipt_number) < page.index(later.receipt_number)


def test_supervisor_sees_overdue_cases_marked_red(cases_world, on, client_for):
    w = cases_world
    late = accepted(w, register(w, title="逾期"))  # due 2026-03-11
    on(date(2026, 3, 9))
    fresh = accepted(w, register(w, title="未逾期"))
    on(date(2026, 3, 13))
    sections = inbox_for(w.supervisor, date(2026, 3, 13))
    assert numbers(section(sections, "overdue").cases) == [late.receipt_number]
    response = client_for(w.supervisor).get(reverse("cases:inbox"))
    assert tile_count(response, "overdue") == 1
    html = response.content.decode()
    assert 'class="badge off"' in html
    assert fresh.receipt_number not in html


def test_leader_cases_and_their_extensions_go_to_the_leaders(cases_world, on):
    w = cases_world
    case = accepted(w, register(w), complexity=Complexity.LEADER, leader=w.leader)
    today = date(2026, 3, 2)
    assert numbers(section(inbox_for(w.leader, today), "leader_cases").cases) == [
        case.receipt_number
    ]
    wf.request_extension(case, actor=w.mediator, reason="协调", new_deadline=date(2026, 5, 29))
    assert section(inbox_for(w.leader, today), "extensions").cases == []  # not their own
    top = section(inbox_for(w.top_leader, today), "extensions").cases
    assert numbers(top) == [case.receipt_number]
    assert "decide_extension" in wf.allowed_actions(w.top_leader, top[0])


def test_desk_follows_its_cases_until_accepted_and_closed_ones_until_followed_up(
    cases_world, on, client_for
):
    w = cases_world
    waiting = register(w, title="待受理")
    routed_case = route(w, register(w, title="已交办"))
    sent_back = route(w, register(w, title="被退回"))
    wf.return_case(sent_back, actor=w.mediator, reason="不属于受理范围")
    taken = accepted(w, register(w, title="已受理"))
    spot = register(w, title="当场解决", settle_on_the_spot=True, result="当场调解")
    today = date(2026, 3, 2)

    sections = inbox_for(w.desk, today)
    assert set(numbers(section(sections, "not_accepted").cases)) == {
        waiting.receipt_number,
        routed_case.receipt_number,
    }
    assert numbers(section(sections, "returned").cases) == [sent_back.receipt_number]
    assert numbers(section(sections, "follow_up").cases) == [spot.receipt_number]
    assert taken.receipt_number not in numbers(c for s in sections for c in s.cases)

    wf.follow_up(spot, actor=w.desk, satisfaction="satisfied")
    assert section(inbox_for(w.desk, today), "follow_up").cases == []

    response = client_for(w.desk).get(reverse("cases:inbox"))
    assert tile_count(response, "not_accepted") == 2
    assert tile_count(response, "follow_up") == 0


def test_grid_worker_sees_their_reports(cases_world, on):
    w = cases_world
    report = register(w, actor=w.grid, channel="grid", parties=[], jurisdiction=w.grid_a1,
                      category="hazard", title="井盖缺失")  # fmt: skip
    register(w, title="别人的")
    sections = inbox_for(w.grid, date(2026, 3, 2))
    assert [s.key for s in sections] == ["reports"]
    assert numbers(sections[0].cases) == [report.receipt_number]


# --- the case list ------------------------------------------------------------------------


def listed(client, **params) -> set[str]:
    response = client.get(reverse("cases:list"), params)
    assert response.status_code == 200
    return set(numbers(response.context["page"].object_list))


def test_list_filters(cases_world, on, client_for):
    w = cases_world
    leak = register(w, title="漏水", channel="call")
    fight = route(w, register(w, category="public_order", title="打架", channel="visit"),
                  unit=w.police)  # fmt: skip
    in_grid = register(w, title="网格内", jurisdiction=w.grid_a1, channel="online")
    joint = route(w, register(w, title="联办"), co_units=[w.police])
    b_case = register(w, actor=w.desk_b, title="柳岸", jurisdiction=w.community_b)
    old = register(w, title="旧案", description="去年的")
    Case.objects.filter(pk=old.pk).update(
        received_at=datetime(2026, 1, 15, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    client = client_for(w.director)
    everything = {c.receipt_number for c in (leak, fight, in_grid, joint, b_case, old)}

    assert listed(client) == everything
    assert listed(client, status="routed") == {fight.receipt_number, joint.receipt_number}
    assert listed(client, status="open") == everything
    assert listed(client, category="public_order") == {fight.receipt_number}
    assert listed(client, unit=w.police.pk) == {fight.receipt_number, joint.receipt_number}
    assert listed(client, unit=w.committee_a.pk) == {joint.receipt_number}
    assert listed(client, grid="CA-01") == {in_grid.receipt_number}
    assert listed(client, grid=w.community_b.pk) == {b_case.receipt_number}
    assert b_case.receipt_number not in listed(client, grid="CA")
    assert in_grid.receipt_number in listed(client, grid="CA")  # the whole subtree
    assert listed(client, channel="call") == {leak.receipt_number}
    assert listed(client, received_to="2026-01-15") == {old.receipt_number}
    assert old.receipt_number not in listed(client, received_from="2026-01-16")
    assert listed(client, received_from="2026-01-15", received_to="2026-01-15") == {
        old.receipt_number
    }
    assert listed(client, q=fight.receipt_number) == {fight.receipt_number}
    assert listed(client, q="去年") == {old.receipt_number}
    assert listed(client, q="打架", status="registered") == set()


def test_overdue_filter_uses_today(cases_world, on, client_for):
    w = cases_world
    case = accepted(w, register(w))  # due 2026-03-11
    register(w, title="未交办")
    client = client_for(w.director)
    on(date(2026, 3, 11))
    assert listed(client, overdue="1") == set()
    on(date(2026, 3, 12))
    assert listed(client, overdue="1") == {case.receipt_number}
    response = client.get(reverse("cases:list"), {"overdue": "1"})
    assert 'class="badge off"' in response.content.decode()
    wf.submit_result(case, actor=w.mediator, result="已解决")
    assert listed(client, overdue="1") == set()  # a resolved case is no longer running late


def test_filter_cases_is_a_plain_function_for_the_api(cases_world, on):
    w = cases_world
    case = register(w, channel="letter")
    visible = Case.objects.for_user(w.director)
    found, form = filter_cases(visible, {"channel": "letter"}, user=w.director,
                               today=date(2026, 3, 2))  # fmt: skip
    assert form.is_valid() and list(found) == [case]
    found, form = filter_cases(visible, {"channel": "pigeon"}, user=w.director,
                               today=date(2026, 3, 2))  # fmt: skip
    assert "channel" in form.errors and not found.exists()  # an invalid filter shows nothing


def make_cases(w, count: int) -> None:
    category = Category.objects.get(code="neighbour")
    start = timezone.now()
    Case.objects.bulk_create(
        Case(
            receipt_number=f"YM-2026-{n:06d}",
            title=f"事项{n}",
            description="批量",
            category=category,
            channel="visit",
            jurisdiction=w.community_a,
            received_at=start - timedelta(minutes=n),
            received_by=w.desk,
            deadline=date(2026, 3, 20),
            status=Status.ACCEPTED,
            lead_unit=w.committee_a,
        )
        for n in range(1, count + 1)
    )


def test_paging(cases_world, on, client_for):
    w = cases_world
    make_cases(w, 53)
    client = client_for(w.director)
    first = client.get(reverse("cases:list"))
    page = first.context["page"]
    assert len(page.object_list) == 50 and page.paginator.count == 53
    assert page.object_list[0].receipt_number == "YM-2026-000001"  # newest first
    second = client.get(reverse("cases:list"), {"page": 2, "status": "accepted"})
    assert numbers(second.context["page"].object_list) == [
        "YM-2026-000051",
        "YM-2026-000052",
        "YM-2026-000053",
    ]
    assert "?page=1&amp;status=accepted" in second.content.decode()  # filters kept in links
    assert client.get(reverse("cases:list"), {"page": 99}).context["page"].number == 2
    assert client.get(reverse("cases:list"), {"page": "x"}).context["page"].number == 1


def test_list_queries_do_not_grow_with_the_rows(
    cases_world, on, client_for, django_assert_max_num_queries
):
    w = cases_world
    client = client_for(w.director)
    make_cases(w, 3)
    # The director's second-factor device and the subtree's node ids take one query each.
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("cases:list"))
    Case.objects.all().delete()
    make_cases(w, 50)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("cases:list"))


def test_lists_show_only_masked_phone_and_id_numbers(cases_world, on, client_for):
    w = cases_world
    register(w)
    for user in (w.director, w.desk):
        for name in ("cases:list", "cases:inbox", "cases:routing_queue"):
            response = client_for(user).get(reverse(name))
            html = response.content.decode()
            assert PHONE not in html and ID_NUMBER not in html
    html = client_for(w.desk).get(reverse("cases:list")).content.decode()
    assert "138****5678" in html


# --- scoping from the outside ------------------------------------------------------------------


def test_desk_b_sees_nothing_of_community_a(cases_world, on, client_for):
    w = cases_world
    cases = [
        register(w, title="桂花一号"),
        register(w, title="桂花急事", is_urgent=True),
        accepted(w, register(w, title="桂花在办")),
    ]
    spot = register(w, title="桂花当场", settle_on_the_spot=True, result="已解决")
    cases.append(spot)
    client = client_for(w.desk_b)

    response = client.get(reverse("cases:list"))
    assert response.context["page"].paginator.count == 0
    for case in cases:
        assert listed(client, q=case.receipt_number) == set()
        assert listed(client, q=case.title) == set()
    # Guessing A's place or unit neither filters nor confirms anything.
    assert listed(client, grid="CA") == set()
    assert listed(client, grid=w.community_a.pk) == set()
    assert listed(client, unit=w.committee_a.pk) == set()

    response = client.get(reverse("cases:inbox"))
    assert all(s.count == 0 for s in response.context["sections"])
    html = response.content.decode()
    assert not any(c.receipt_number in html or c.title in html for c in cases)
    assert client.get(reverse("cases:routing_queue")).status_code == 403

    director_b = UserFactory(username="director_b", role=Role.DIRECTOR,
                             jurisdiction=w.community_b)  # fmt: skip
    queue = client_for(director_b).get(reverse("cases:routing_queue"))
    assert queue.status_code == 200 and queue.context["cases"] == []
    assert section(inbox_for(director_b, date(2026, 3, 2)), "urgent").cases == []


def test_unit_staff_see_only_their_units_cases(cases_world, on, client_for):
    w = cases_world
    theirs = route(w, register(w, category="public_order", title="打架"), unit=w.police)
    joint = route(w, register(w, title="联办"), co_units=[w.police])
    route(w, register(w, title="调委会的"))
    register(w, title="未交办")
    client = client_for(w.unit)
    assert listed(client) == {theirs.receipt_number, joint.receipt_number}
    assert listed(client, q="调委会") == set()


def test_pages_need_a_login(client, db):
    for name in ("cases:list", "cases:inbox", "cases:routing_queue", "notices:list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


# --- the routing queue --------------------------------------------------------------------------


def test_queue_shows_the_unit_the_rules_suggest(cases_world, on, client_for):
    w = cases_world
    dispute = register(w, title="邻里纠纷")
    fight = register(w, category="public_order", title="打架")
    for_director_only = client_for(w.desk).get(reverse("cases:routing_queue"))
    assert for_director_only.status_code == 403

    response = client_for(w.director).get(reverse("cases:routing_queue"))
    assert response.status_code == 200
    rows = {c.receipt_number: c for c in response.context["cases"]}
    assert rows[dispute.receipt_number].suggestion.unit == w.committee_a
    assert rows[fight.receipt_number].suggestion.unit == w.police
    html = response.content.decode()
    assert w.committee_a.name in html and w.police.name in html
    assert reverse("cases:action", args=[dispute.pk, "route"]) in html
    assert f'<option value="{w.committee_a.pk}" selected>' in html
    for field in ("unit", "co_units", "complexity", "leader", "override_reason", "instructions"):
        assert f'name="{field}"' in html


def test_queue_suggests_the_judicial_office_with_the_petition_office_after_escalation(
    cases_world, on, client_for, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    w = cases_world
    case = accepted(w, register(w))
    items = []
    for kind in wf.ESCALATION_ATTACHMENTS:
        upload = SimpleUploadedFile(f"{kind}.pdf", b"%PDF-1.4\n%%EOF\n")
        upload.content_type = "application/pdf"
        items.append(wf.NewAttachment(upload, kind))
    wf.add_attachments(case, items, actor=w.mediator)
    wf.escalate_case(case, actor=w.mediator, reason="调解不成")

    response = client_for(w.director).get(reverse("cases:routing_queue"))
    row = response.context["cases"][0]
    assert row.suggestion.unit == w.judicial
    assert row.suggested_co_ids == [w.petition.pk]


# --- notifications ----------------------------------------------------------------------------


def test_urgent_matter_reaches_the_directors_notifications(
    cases_world, on, client_for, django_capture_on_commit_callbacks
):
    w = cases_world
    with django_capture_on_commit_callbacks(execute=True):
        case = register(w, title="多人聚集", is_urgent=True)
    client = client_for(w.director)
    response = client.get(reverse("notices:list"))
    html = response.content.decode()
    assert response.context["unread"] == 1
    assert "多人聚集" in html and case.receipt_number in html and "badge urgent" in html

    assert client.get(reverse("notices:mark_all_read")).status_code == 405
    response = client.post(reverse("notices:mark_all_read"))
    assert response.status_code == 302 and response["Location"] == reverse("notices:list")
    assert not Notification.objects.filter(recipient=w.director, read_at__isnull=True).exists()
    assert client.get(reverse("notices:list")).context["unread"] == 0
    # The leader's stay unread: marking is one's own.
    assert Notification.objects.filter(recipient=w.leader, read_at__isnull=True).exists()

    other = client_for(w.desk_b).get(reverse("notices:list"))
    assert "多人聚集" not in other.content.decode()


def test_routing_from_the_queue_comes_back_to_it(cases_world, on, client_for):
    w = cases_world
    case = register(w)
    client = client_for(w.director)
    queue = reverse("cases:routing_queue")
    response = client.post(
        reverse("cases:action", args=[case.pk, "route"]),
        {"unit": w.committee_a.pk, "complexity": "general", "next": queue},
    )
    assert response.status_code == 302 and response["Location"] == queue
    case.refresh_from_db()
    assert case.status == Status.ROUTED and case.lead_unit == w.committee_a
    assert client.get(queue).context["cases"] == []
