"""The monthly meeting (例会): its agenda from a known month, decisions as tasks with
working-day deadlines, the owner's inbox and the tasks list, the sweep's reminders, scoping,
permissions and refused input.

The known month is November 2026, "today" Friday 2026-11-20. Cases are registered through
the workflow, then their dates and states are set straight in the table (setup: the agenda
reads rows, and each row's story is stated beside it). ``director_a`` is a director placed
at community A; the street's ``director`` covers both communities.
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from yimen.audit.models import Event
from yimen.cases.models import Case, Category, Status
from yimen.meetings import services
from yimen.meetings.agenda import build_agenda
from yimen.meetings.models import AgendaItem, Meeting, MeetingStatus, Task, TaskStatus
from yimen.meetings.rules import decision_deadline
from yimen.notices.models import Notification
from yimen.org.models import Role
from yimen.supervision.models import NamedSupervision
from yimen.supervision.sweep import run_sweep
from yimen.workdays.services import load_calendar

from .case_support import case_as_of
from .factories import UserFactory
from .mediation_support import signed

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = date(2026, 11, 1)
TODAY = date(2026, 11, 20)  # a Friday


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def at(month, day, hour=10, year=2026):
    return datetime(year, month, day, hour, tzinfo=TZ)


def case(w, label, *, place, category, received, status=Status.IN_PROGRESS, deadline=None):
    return case_as_of(w, label, place=place, category=category, received=received,
                      status=status, deadline=deadline, lead_unit=w.committee_a)  # fmt: skip


def listed(w, made, deadline=date(2026, 12, 1)):
    return NamedSupervision.objects.create(
        case=made, responsible_unit=w.committee_a, responsible_leader=w.leader,
        deadline=deadline, reason="群众反映强烈", listed_by=w.director, listed_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def mt(mw):
    """``mw`` plus a director placed at community A, who plans community A's meetings."""
    mw.director_a = UserFactory(
        username="director_a", role=Role.DIRECTOR, jurisdiction=mw.community_a
    )
    return mw


def plan(w, *, actor=None, month=NOVEMBER, starts_at=None, today=TODAY):
    actor = actor or w.director_a
    return services.plan_meeting(
        actor=actor, month=month, starts_at=starts_at or at(11, 20, 9), place="桂花社区会议室",
        chair=actor, today=today,
    )  # fmt: skip


def decide(w, meeting, *, actor=None, owner=None, today=TODAY, **deadline):
    return services.record_decision(
        meeting, actor=actor or w.director_a, text="三日内清理楼道堆物", owner=owner or w.desk,
        today=today, **(deadline or {"working_days": 3}),
    )  # fmt: skip


@pytest.fixture
def month(mt):
    """November 2026 in community A (and one matter in community B), against October."""
    w, S = mt, Status
    w.c1 = case(
        w,
        "c1",
        place=w.grid_a1,
        category="neighbour",
        received=at(11, 2),
        deadline=date(2026, 11, 10),
    )  # overdue
    w.c2 = case(
        w,
        "c2",
        place=w.community_a,
        category="neighbour",
        received=at(11, 16),
        status=S.ROUTED,
        deadline=date(2026, 11, 23),
    )  # open, not yet due
    w.c3 = case(
        w,
        "c3",
        place=w.grid_b1,
        category="hazard",
        received=at(11, 17),
        deadline=date(2026, 11, 12),
    )  # overdue, but in community B
    w.c4 = case(
        w,
        "c4",
        place=w.community_a,
        category="family",
        received=at(10, 5),
        deadline=date(2026, 12, 15),
    )  # open, under named supervision
    w.c5 = case(
        w,
        "c5",
        place=w.community_a,
        category="family",
        received=at(10, 8),
        status=S.RESOLVED,
        deadline=date(2026, 11, 1),
    )  # supervised, resolved
    w.c6 = case(
        w, "c6", place=w.grid_a1, category="neighbour", received=at(10, 20), status=S.CLOSED
    )  # October intake only
    w.c7 = case(
        w, "c7", place=w.grid_a1, category="other", received=at(11, 18), status=S.CLOSED
    )  # settled on the spot: November intake only
    listed(w, w.c4)
    listed(w, w.c5)
    listed(w, w.c3)  # community B's
    # October's meeting left one decision overdue, one done and one not yet due.
    october = plan(w, month=date(2026, 10, 1), starts_at=at(10, 20, 9), today=date(2026, 10, 20))
    w.late = decide(w, october, deadline=date(2026, 11, 5), today=date(2026, 10, 20))
    done = decide(w, october, deadline=date(2026, 11, 6), today=date(2026, 10, 20))
    Task.objects.filter(pk=done.pk).update(status=TaskStatus.DONE)
    decide(w, october, deadline=date(2026, 11, 30), today=date(2026, 10, 20))
    return w  # fmt: skip


def by_source(items):
    grouped = {}
    for item in items:
        grouped.setdefault(item.source, []).append(item)
    return grouped


# --- the agenda -----------------------------------------------------------------------------


def test_the_agenda_of_a_known_month(month):
    w = month
    agenda = by_source(build_agenda(w.director_a, NOVEMBER, TODAY))
    assert [i.case_id for i in agenda["overdue"]] == [w.c1.pk]
    assert [i.case_id for i in agenda["supervised"]] == [w.c4.pk]
    neighbour, other = (Category.objects.get(code=c).name for c in ("neighbour", "other"))
    # Neighbour 2 against 1, other 1 against 0, grid A1 2 against 1; family fell, c3 is B's.
    assert [i.title for i in agenda["hotspots"]] == [
        f"Rising category: {neighbour}",
        f"Rising category: {other}",
        f"Rising place: {w.grid_a1.name}",
    ]
    assert agenda["hotspots"][0].detail == "2 received this month, 1 the month before."
    assert [i.task_id for i in agenda["open_tasks"]] == [w.late.pk]
    assert len(agenda["mediation"]) == 1
    assert set(agenda) == {"overdue", "supervised", "hotspots", "mediation", "open_tasks"}


def test_every_agenda_item_links_to_what_it_is_about(month):
    w = month
    agenda = by_source(build_agenda(w.director_a, NOVEMBER, TODAY))
    assert agenda["overdue"][0].link == reverse("cases:detail", args=[w.c1.pk])
    assert agenda["supervised"][0].link == reverse("cases:detail", args=[w.c4.pk])
    assert agenda["open_tasks"][0].link == reverse("meetings:task", args=[w.late.pk])
    assert agenda["hotspots"][0].link.startswith(reverse("dashboard:cases") + "?figure=received")
    assert agenda["mediation"][0].link.startswith(reverse("mediation:report"))


def test_a_street_director_plans_the_street_and_sees_a_community_through_its_node(month):
    w = month
    street = by_source(build_agenda(w.director, NOVEMBER, TODAY))
    assert [i.case_id for i in street["overdue"]] == [w.c1.pk, w.c3.pk]
    assert [i.case_id for i in street["supervised"]] == [w.c4.pk, w.c3.pk]
    narrowed = build_agenda(w.director, NOVEMBER, TODAY, within=w.community_a)
    assert narrowed == build_agenda(w.director_a, NOVEMBER, TODAY)
    with pytest.raises(ValueError):
        build_agenda(w.director_a, NOVEMBER, TODAY, within=w.street)  # never wider


def test_the_month_s_mediation_results_are_on_the_agenda(mt):
    signed(mt)
    today = timezone.localdate()
    (item,) = by_source(build_agenda(mt.director_a, today, today))["mediation"]
    assert "1 succeeded (success rate 100%)" in item.detail


def test_planning_stores_the_agenda_and_the_secretary_edits_it(month, client_for):
    w = month
    meeting = plan(w)
    stored = list(meeting.agenda.order_by("position"))
    assert [i.source for i in stored] == [
        "overdue", "supervised", "hotspots", "hotspots", "hotspots", "mediation", "open_tasks",
    ]  # fmt: skip
    client = client_for(w.director_a)
    url = reverse("meetings:detail", args=[meeting.pk])
    client.post(
        reverse("meetings:add_item", args=[meeting.pk]), {"title": "冬季防火", "detail": ""}
    )
    free = meeting.agenda.get(source=AgendaItem.FREE)
    assert free.position == 8
    client.post(reverse("meetings:move_item", args=[meeting.pk, free.pk]), {"direction": "up"})
    free.refresh_from_db()
    assert free.position == 7
    mediation = meeting.agenda.get(source="mediation")
    client.post(reverse("meetings:remove_item", args=[meeting.pk, mediation.pk]))
    assert not meeting.agenda.filter(source="mediation").exists()
    # Generated again: the month's data comes back, the free item stays, after it.
    Case.objects.filter(pk=w.c1.pk).update(status=Status.RESOLVED)
    services.regenerate_agenda(meeting, actor=w.director_a, today=TODAY)
    sources = list(meeting.agenda.order_by("position").values_list("source", flat=True))
    assert sources == ["supervised", "hotspots", "hotspots", "hotspots", "mediation",
                       "open_tasks", "free"]  # fmt: skip
    page = client.get(url).content.decode()
    assert "冬季防火" in page and w.c4.receipt_number in page
    assert f'href="{reverse("cases:detail", args=[w.c4.pk])}"' in page
    logged = Event.objects.filter(object_type="meetings.meeting", object_id=str(meeting.pk))
    actions = set(logged.values_list("action", flat=True))
    assert {"meetings.meeting.planned", "meetings.agenda.item_added", "meetings.agenda.item_moved",
            "meetings.agenda.item_removed", "meetings.agenda.generated"} <= actions  # fmt: skip


def test_an_agenda_item_about_a_case_the_viewer_may_not_see_is_left_out(month, client_for):
    w = month
    meeting = plan(w, actor=w.director)
    police = client_for(w.unit).get(reverse("meetings:detail", args=[meeting.pk]))
    assert police.status_code == 200
    assert w.c1.receipt_number not in police.content.decode()  # the police do not handle it
    director = client_for(w.director).get(reverse("meetings:detail", args=[meeting.pk]))
    assert w.c1.receipt_number in director.content.decode()


# --- decisions and their deadlines --------------------------------------------------------------


@pytest.mark.parametrize(
    ("meeting_day", "days", "due"),
    [
        (date(2026, 11, 20), 2, date(2026, 11, 24)),  # Friday: the weekend does not count
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # National Day, then the 调休 Saturday
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # Mid-Autumn Festival Fri 9-25 to Sun 9-27
    ],
)
def test_a_working_day_deadline_skips_weekends_and_holidays(mt, meeting_day, days, due):
    calendar = load_calendar(meeting_day)
    assert decision_deadline(meeting_day, days, None, calendar).date == due
    starts = datetime.combine(meeting_day, datetime.min.time().replace(hour=9), tzinfo=TZ)
    meeting = plan(mt, month=meeting_day.replace(day=1), starts_at=starts, today=meeting_day)
    task = decide(mt, meeting, working_days=days, today=meeting_day)
    assert (task.deadline, task.working_days, task.deadline_provisional) == (due, days, False)


def test_a_decision_becomes_a_task_for_its_owner(mt):
    w = mt
    meeting = plan(w)
    task = decide(w, meeting, working_days=2)
    assert task.number.startswith("JY-") and task.status == TaskStatus.OPEN
    assert task.deadline == date(2026, 11, 24)
    (notice,) = Notification.objects.filter(recipient=w.desk, kind="meeting_task")
    assert notice.message.startswith(f"Meeting task {task.number} for you, due 2026-11-24")
    assert Event.objects.filter(action="meetings.task.recorded", object_id=str(task.pk)).exists()
    assert list(task.events.values_list("action", flat=True)) == ["recorded"]


# --- the inbox and the tasks list ----------------------------------------------------------------


def open_task(w, *, owner=None, days=5):
    """A meeting tomorrow (real time) with one decision due ``days`` working days after it."""
    tomorrow = timezone.localtime() + timedelta(days=1)
    meeting = Meeting.objects.filter(jurisdiction=w.community_a).first() or plan(
        w, month=tomorrow.date(), starts_at=tomorrow, today=timezone.localdate()
    )
    return decide(w, meeting, owner=owner, working_days=days, today=timezone.localdate())


def task_count(response):
    match = re.search(r'id="task-count">(\d+) task', response.content.decode())
    assert match
    return int(match.group(1))


def test_open_tasks_are_in_the_owner_s_inbox_and_the_tasks_list(mt, client_for):
    w = mt
    task = open_task(w)
    inbox = client_for(w.desk).get(reverse("cases:inbox")).content.decode()
    assert task.number in inbox and 'data-count="meeting_tasks">1<' in inbox
    assert task.number not in client_for(w.mediator).get(reverse("cases:inbox")).content.decode()
    mine = client_for(w.desk).get(reverse("meetings:tasks"))
    assert task_count(mine) == 1 and task.number in mine.content.decode()
    assert task_count(client_for(w.director_a).get(reverse("meetings:tasks"))) == 0  # not theirs
    everyone = client_for(w.director_a).get(reverse("meetings:tasks"), {"who": "all"})
    assert task_count(everyone) == 1
    services.complete_task(task, actor=w.desk, result="已清理")
    assert task.number not in client_for(w.desk).get(reverse("cases:inbox")).content.decode()
    done = client_for(w.desk).get(reverse("meetings:tasks"), {"state": "done"})
    assert task_count(done) == 1


def test_the_tasks_list_filters_overdue(month, client_for):
    w = month  # w.late was due 2026-11-05 and is still open
    client = client_for(w.director_a)
    overdue = client.get(reverse("meetings:tasks"), {"who": "all", "state": "overdue"})
    expected = Task.objects.filter(status=TaskStatus.OPEN, deadline__lt=timezone.localdate())
    assert task_count(overdue) == expected.count() >= 1
    assert w.late.number in overdue.content.decode()


def test_the_owner_completes_and_the_chair_reopens_with_a_reason(mt, client_for):
    w = mt
    task = open_task(w)
    url = reverse("meetings:task", args=[task.pk])
    response = client_for(w.desk).post(
        reverse("meetings:complete_task", args=[task.pk]), {"result": "已清理完毕"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.result, task.done_by) == (TaskStatus.DONE, "已清理完毕", w.desk)
    response = client_for(w.director_a).post(
        reverse("meetings:reopen_task", args=[task.pk]), {"reason": "仍有堆物", "deadline": ""}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.result == ""
    assert list(task.events.values_list("action", flat=True)) == [
        "recorded", "completed", "reopened",
    ]  # fmt: skip
    assert Notification.objects.filter(recipient=w.desk, kind="meeting_task_reopened").exists()
    page = client_for(w.desk).get(url).content.decode()
    assert "仍有堆物" in page and "已清理完毕" in page  # the timeline keeps both
    actions = Event.objects.filter(object_id=str(task.pk), object_type="meetings.task")
    assert set(actions.values_list("action", flat=True)) == {
        "meetings.task.recorded", "meetings.task.completed", "meetings.task.reopened",
    }  # fmt: skip


# --- the sweep -----------------------------------------------------------------------------------


def test_the_sweep_tells_the_owner_once_when_due_soon_and_once_when_overdue(mt):
    w = mt
    meeting = plan(w)
    task = decide(w, meeting, working_days=3)  # Friday 11-20 + 3 → Wednesday 11-25
    finished = decide(w, meeting, working_days=3, owner=w.mediator)
    services.complete_task(finished, actor=w.mediator, result="完成")

    def told(kind):
        return Notification.objects.filter(recipient=w.desk, kind=kind).count()

    run_sweep(date(2026, 11, 20))  # 2 working days' notice reach Tuesday 11-24 only
    assert told("meeting_task_due_soon") == 0
    run_sweep(date(2026, 11, 23))
    run_sweep(date(2026, 11, 23))
    run_sweep(date(2026, 11, 24))
    assert told("meeting_task_due_soon") == 1
    assert told("meeting_task_overdue") == 0
    run_sweep(date(2026, 11, 26))
    run_sweep(date(2026, 11, 27))
    assert told("meeting_task_overdue") == 1
    (notice,) = Notification.objects.filter(recipient=w.desk, kind="meeting_task_overdue")
    assert notice.message.startswith(f"Meeting task {task.number} is overdue (due 2026-11-25)")
    assert not Notification.objects.filter(kind__startswith="meeting_task_", recipient=w.mediator)
    assert Event.objects.filter(action="meetings.tasks.reminded").count() == 2


# --- scoping -------------------------------------------------------------------------------------


def test_another_community_neither_sees_nor_counts_a_meeting_or_its_tasks(mt, client_for):
    w = mt
    task = open_task(w)
    meeting = task.meeting
    for user in (w.desk_b, w.admin_b):
        client = client_for(user)
        listing = client.get(reverse("meetings:list")).content.decode()
        assert 'id="meeting-count">0 meetings' in listing
        assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
        assert client.get(reverse("meetings:edit", args=[meeting.pk])).status_code == 404
        assert client.get(reverse("meetings:task", args=[task.pk])).status_code == 404
        assert task_count(client.get(reverse("meetings:tasks"), {"who": "all"})) == 0
        assert task.number not in client.get(reverse("cases:inbox")).content.decode()
        decided = client.post(
            reverse("meetings:add_decision", args=[meeting.pk]),
            {"text": "x", "owner": user.pk, "working_days": "3"},
        )
        assert decided.status_code == 404
        assert client.post(reverse("meetings:mark_held", args=[meeting.pk])).status_code == 404
    assert (
        client_for(w.director).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
    )


def test_the_owner_below_a_street_meeting_sees_the_task_but_not_the_meeting(month, client_for):
    w = month
    meeting = plan(w, actor=w.director)
    task = decide(w, meeting, actor=w.director)
    client = client_for(w.desk)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    page = client.get(reverse("meetings:task", args=[task.pk]))
    assert page.status_code == 200
    assert reverse("meetings:detail", args=[meeting.pk]) not in page.content.decode()


# --- permissions ---------------------------------------------------------------------------------


def test_only_the_center_s_leadership_plans_and_edits(mt, client_for):
    w = mt
    task = open_task(w)
    meeting = task.meeting
    desk = client_for(w.desk)
    assert desk.get(reverse("meetings:plan")).status_code == 403
    assert desk.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
    response = desk.post(
        reverse("meetings:add_decision", args=[meeting.pk]),
        {"text": "x", "owner": w.desk.pk, "working_days": "3"},
    )
    assert response.status_code == 403
    assert "Only a director, supervisor, leader or administrator" in response.content.decode()
    assert (
        desk.post(reverse("meetings:minutes", args=[meeting.pk]), {"minutes": "x"}).status_code
        == 403
    )
    for user in (w.director, w.supervisor, w.leader, w.admin, w.director_a):
        response = client_for(user).post(
            reverse("meetings:minutes", args=[meeting.pk]), {"minutes": f"{user.username} 记录"}
        )
        assert response.status_code == 302, user.username


def test_only_the_owner_completes_and_only_the_chair_or_a_director_reopens(mt, client_for):
    w = mt
    task = open_task(w)
    for user in (w.director_a, w.mediator):
        response = client_for(user).post(
            reverse("meetings:complete_task", args=[task.pk]), {"result": "代为完成"}
        )
        assert response.status_code == 403
        assert "Only the task&#x27;s owner" in response.content.decode()
    services.complete_task(task, actor=w.desk, result="完成")
    task.refresh_from_db()
    for user in (w.desk, w.supervisor, w.leader):
        response = client_for(user).post(
            reverse("meetings:reopen_task", args=[task.pk]), {"reason": "不满意"}
        )
        assert response.status_code == 403, user.username
    assert client_for(w.director).post(
        reverse("meetings:reopen_task", args=[task.pk]), {"reason": "不满意"}
    ).status_code == 302  # fmt: skip


# --- bad input -----------------------------------------------------------------------------------


def test_bad_decisions_are_refused_with_the_typed_values_kept(mt, client_for):
    w = mt
    meeting = open_task(w).meeting
    client = client_for(w.director_a)
    url = reverse("meetings:add_decision", args=[meeting.pk])
    cases = [
        ({"text": "整治楼道", "owner": w.desk.pk, "deadline": "2020-01-06"},
         "The deadline 2020-01-06 is in the past: choose a later one."),
        ({"text": "整治楼道", "owner": w.desk_b.pk, "working_days": "3"},
         "Choose the owner among the staff of this meeting&#x27;s jurisdiction."),
        ({"text": "  ", "owner": w.desk.pk, "working_days": "3"}, "Write what was decided."),
        ({"text": "整治楼道", "owner": w.desk.pk},
         "Give the deadline in working days or as a date."),
        ({"text": "整治楼道", "owner": w.desk.pk, "working_days": "3", "deadline": "2030-01-07"},
         "Give the deadline in working days or as a date, not both."),
    ]  # fmt: skip
    before = Task.objects.count()
    for data, message in cases:
        response = client.post(url, data)
        html = response.content.decode()
        assert response.status_code == 400, message
        assert message in html
        if data["text"].strip():
            assert f"{data['text']}</textarea>" in html
    assert Task.objects.count() == before


def test_a_second_meeting_for_the_same_month_is_refused(mt, client_for):
    w = mt
    plan(w)
    response = client_for(w.director_a).post(
        reverse("meetings:plan"),
        {
            "month": "2026-11",
            "starts_at": "2026-11-27T09:00",
            "place": "村委二楼",
            "chair": w.director_a.pk,
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f"{w.community_a.name} already has a meeting for 2026-11." in html
    assert 'value="村委二楼"' in html and 'value="2026-11"' in html
    assert Meeting.objects.count() == 1


def test_planning_from_the_page_defaults_to_this_month(mt, client_for):
    w = mt
    client = client_for(w.director_a)
    form = client.get(reverse("meetings:plan"))
    assert f'value="{timezone.localdate():%Y-%m}"' in form.content.decode()
    response = client.post(
        reverse("meetings:plan"),
        {"month": f"{timezone.localdate():%Y-%m}", "starts_at": "2026-11-27T09:00",
         "place": "会议室", "chair": w.director_a.pk},
    )  # fmt: skip
    meeting = Meeting.objects.get()
    assert response.url == reverse("meetings:detail", args=[meeting.pk])
    assert (meeting.jurisdiction, meeting.month) == (
        w.community_a,
        timezone.localdate().replace(day=1),
    )
    assert meeting.agenda_built_at is not None


def test_mark_held_needs_the_meeting_to_have_taken_place_with_minutes_and_attendance(
    mt, client_for
):
    w = mt
    meeting = plan(w, starts_at=timezone.now() + timedelta(hours=2), today=timezone.localdate())
    client = client_for(w.director_a)
    held = reverse("meetings:mark_held", args=[meeting.pk])
    response = client.post(held)
    assert response.status_code == 409
    assert "mark it held once it has taken place" in response.content.decode()
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    assert "Write the minutes" in client.post(held).content.decode()
    client.post(reverse("meetings:minutes", args=[meeting.pk]), {"minutes": "议定三项"})
    assert "Record who attended" in client.post(held).content.decode()
    attendance = reverse("meetings:attendance", args=[meeting.pk])
    marks = {f"at_{w.director_a.pk}": "present", f"at_{w.desk.pk}": "absent"}
    refused = client.post(attendance, {**marks, f"why_{w.desk.pk}": ""})
    assert refused.status_code == 400
    assert f"Give the reason {w.desk} was absent." in refused.content.decode()
    assert '<option value="absent" selected>' in refused.content.decode()  # as typed
    client.post(attendance, {**marks, f"why_{w.desk.pk}": "病假", "others": "街道司法所 李科长"})
    assert client.post(held).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.other_attendees == "街道司法所 李科长"
    assert list(meeting.attendance.values_list("user", "present", "reason")) == [
        (w.director_a.pk, True, ""), (w.desk.pk, False, "病假"),
    ]  # fmt: skip
    again = client.post(reverse("meetings:regenerate_agenda", args=[meeting.pk]))
    assert (
        again.status_code == 409 and "are on record and no longer change" in again.content.decode()
    )
    corrected = client.post(reverse("meetings:minutes", args=[meeting.pk]), {"minutes": "更正"})
    assert corrected.status_code == 302


def test_reopening_a_task_past_its_deadline_needs_a_new_one(month, client_for):
    w = month
    Task.objects.filter(pk=w.late.pk).update(status=TaskStatus.DONE, result="完成")
    response = client_for(w.director_a).post(
        reverse("meetings:reopen_task", args=[w.late.pk]), {"reason": "", "deadline": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Say why the task is reopened." in html and "has passed: give a new one." in html


def test_a_provisional_deadline_is_recounted_when_the_year_is_published(
    mt, django_capture_on_commit_callbacks
):
    from yimen.workdays import services as calendar

    w = mt
    meeting = plan(w, month=date(2026, 12, 1), starts_at=at(12, 28, 9), today=date(2026, 12, 28))
    task = decide(w, meeting, working_days=7, today=date(2026, 12, 28))
    assert (task.deadline, task.deadline_provisional) == (date(2027, 1, 6), True)
    fixed = decide(w, meeting, deadline=date(2027, 1, 6), today=date(2026, 12, 28))
    lines = calendar.parse_schedule("2027-01-01 休 元旦\n2027-01-04 休 假想的地方假日", 2027)
    with django_capture_on_commit_callbacks(execute=True):
        calendar.publish_year(2027, lines, actor=w.admin)
    task.refresh_from_db()
    fixed.refresh_from_db()
    assert (task.deadline, task.deadline_provisional) == (date(2027, 1, 8), False)
    assert fixed.deadline == date(2027, 1, 6)  # a date given stands as given
    assert task.events.filter(action="deadline_recomputed").exists()


def test_a_planned_meeting_changes_time_and_place_and_a_held_one_does_not(mt, client_for):
    w = mt
    meeting = plan(w, starts_at=timezone.now() - timedelta(hours=1), today=timezone.localdate())
    client = client_for(w.director_a)
    url = reverse("meetings:edit", args=[meeting.pk])
    data = {"starts_at": "2026-11-27T15:00", "place": "", "chair": w.director_a.pk}
    refused = client.post(url, data)
    assert (
        refused.status_code == 400 and "Say where the meeting is held." in refused.content.decode()
    )
    assert client.post(url, {**data, "place": "党群服务中心"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.place == "党群服务中心"
    assert Event.objects.filter(action="meetings.meeting.updated", object_id=str(meeting.pk))
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.HELD)
    held = client.get(url)
    assert held.status_code == 409 and "are on record and no longer change" in held.content.decode()
