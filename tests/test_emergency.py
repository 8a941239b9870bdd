"""Emergency incidents: the stages, the levels and their 2-hour clock, plans and check-in,
the duty roster, drills, links — driven on a clock the tests set."""

import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from yimen.cases import workflow as wf
from yimen.cases.models import Category
from yimen.cases.workflow import Invalid, NotAllowed, WorkflowError
from yimen.crypto import PREFIX
from yimen.emergency import rules, services
from yimen.emergency.models import ContingencyPlan, Incident, Level, Stage
from yimen.notices.models import Notification
from yimen.org.models import DutyShift, Shift
from yimen.org.roster import gaps, on_duty, shift_at, urgent_recipients

from .factories import UserFactory
from .pdf_support import pdf_words

TZ = ZoneInfo("Asia/Shanghai")


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


@pytest.fixture
def clock(monkeypatch):
    """``clock(2026, 11, 24, 9, 0)``: from now on it is that local time."""
    state = SimpleNamespace(now=datetime(2026, 11, 24, 9, 0, tzinfo=TZ))

    def set_clock(*args) -> None:
        state.now = datetime(*args, tzinfo=TZ)

    monkeypatch.setattr(timezone, "now", lambda: state.now.astimezone(UTC))
    return set_clock


def first_report(w, **extra):
    values = {"jurisdiction": w.grid_a1, "situation": "桂花小区3号楼燃气泄漏，有刺鼻气味。"}
    return services.report_incident(services.FirstReport(**(values | extra)), actor=w.grid)


@pytest.fixture
def plan(cases_world):
    w = cases_world
    w.team_lead = UserFactory(username="team_lead", jurisdiction=w.street)
    plan = ContingencyPlan.objects.create(
        jurisdiction=w.street, incident_type="gas", title="燃气泄漏处置预案",
        steps="疏散周边群众\n关闭燃气总阀\n通知燃气公司抢修",
    )  # fmt: skip
    rescue = plan.teams.create(name="抢险组")
    rescue.members.create(name="周强", duty="组长", phone="13900000001", account=w.team_lead)
    rescue.members.create(name="吴刚", duty="队员", phone="13900000002")
    evacuation = plan.teams.create(name="疏散组", position=1)
    evacuation.members.create(name="郑敏", duty="组长", phone="13900000003")
    return plan


def test_a_major_incident_through_the_clock(
    cases_world, plan, clock, django_capture_on_commit_callbacks
):
    """Issue 9's walk: received, graded 重大, plan activated, teams checked in (one late),
    reported to the district within 2 hours, recovered and closed with a summary."""
    w = cases_world
    clock(2026, 11, 24, 9, 0)
    incident = first_report(w, incident_type="gas")
    assert incident.stage == Stage.RECEIVED and incident.report_due_at is None

    clock(2026, 11, 24, 9, 20)  # graded 20 minutes later: the clock still counts from 9:00
    incident = services.grade(incident, actor=w.director, level=Level.II)
    assert incident.stage == Stage.GRADED
    assert timezone.localtime(incident.report_due_at) == datetime(2026, 11, 24, 11, 0, tzinfo=TZ)
    running = rules.clock(incident.report_due_at, None, timezone.now())
    assert running.running and running.minutes_left == 100 and not running.overdue

    clock(2026, 11, 24, 9, 25)
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.activate_plan(incident, actor=w.director, plan=plan)
    assert [s.text for s in incident.step_checks.all()] == [
        "疏散周边群众", "关闭燃气总阀", "通知燃气公司抢修",
    ]  # fmt: skip
    # The team members with an account are called.
    assert Notification.objects.filter(recipient=w.team_lead, link__contains=str(incident.pk))

    members = {m.name: m for t in plan.teams.all() for m in t.members.all()}
    clock(2026, 11, 24, 9, 40)
    services.check_in(incident, actor=w.team_lead, member=members["周强"])
    services.check_in(incident, actor=w.director, member=members["吴刚"])
    clock(2026, 11, 24, 10, 0)  # 35 minutes after activation: the evacuation team is late
    states = {team.name: (state, state.late(timezone.now()))
              for team, _members, state in services.teams(incident)}  # fmt: skip
    assert states["抢险组"][0].assembled and not states["抢险组"][1]
    assert not states["疏散组"][0].assembled and states["疏散组"][1]

    services.tick_step(incident, actor=w.director, position=1)
    clock(2026, 11, 24, 10, 45)
    incident = services.mark_reported(incident, actor=w.director, pdf=b"%PDF-1.4 test")
    done = rules.clock(incident.report_due_at, incident.reported_at, timezone.now())
    assert done.on_time and not done.running and not done.overdue

    services.advance(incident, actor=w.director, stage=Stage.RESPONSE)
    services.advance(incident, actor=w.director, stage=Stage.RECOVERY, note="已恢复供气")
    with pytest.raises(Invalid):
        services.close(incident, actor=w.director, summary="  ")
    incident = services.close(incident, actor=w.director, summary="疏散及时，无人员伤亡。")
    assert incident.stage == Stage.CLOSED and incident.closed_at
    actions = list(incident.events.values_list("action", flat=True))
    assert actions == ["received", "graded", "plan_activated", "checked_in", "checked_in",
                       "step_done", "reported_to_district", "stage", "stage", "closed"]  # fmt: skip


def test_a_major_incident_whose_two_hours_run_out_is_flagged(cases_world, clock):
    w = cases_world
    clock(2026, 11, 24, 9, 0)
    incident = first_report(w)
    incident = services.grade(incident, actor=w.director, level=Level.I)
    clock(2026, 11, 24, 11, 1)
    late = rules.clock(incident.report_due_at, None, timezone.now())
    assert late.running and late.overdue and late.minutes_late == 1
    incident = services.mark_reported(incident, actor=w.director, pdf=b"%PDF")
    assert rules.clock(incident.report_due_at, incident.reported_at, timezone.now()).overdue
    assert incident.events.get(action="reported_to_district").note == "late"


def test_each_level_has_its_own_deadline_and_a_change_needs_a_reason(cases_world, clock):
    w = cases_world
    incident = services.grade(first_report(w), actor=w.director, level=Level.IV)
    assert (incident.report_due_at - incident.received_at).total_seconds() == 24 * 3600
    with pytest.raises(Invalid):
        services.grade(incident, actor=w.director, level=Level.III)
    incident = services.grade(incident, actor=w.director, level=Level.III, reason="伤亡增加")
    assert (incident.report_due_at - incident.received_at).total_seconds() == 4 * 3600
    assert incident.events.filter(action="level_changed").exists()


def test_stages_cannot_be_skipped(cases_world, plan):
    w = cases_world
    incident = first_report(w)
    with pytest.raises(WorkflowError):
        services.advance(incident, actor=w.director, stage=Stage.RESPONSE)  # not graded
    services.grade(incident, actor=w.director, level=Level.III)
    with pytest.raises(WorkflowError):
        services.advance(incident, actor=w.director, stage=Stage.RECOVERY)
    with pytest.raises(WorkflowError):
        services.close(incident, actor=w.director, summary="结束")
    # A graded incident may go to response without a plan.
    assert services.advance(incident, actor=w.director, stage=Stage.RESPONSE).stage == "response"


def test_a_first_report_needs_only_place_and_situation_and_is_never_doubled(cases_world):
    w = cases_world
    key = uuid.uuid4()
    report = services.FirstReport(jurisdiction=w.grid_a1, situation="起火")
    one = services.report_incident(report, actor=w.grid, client_key=key)
    again = services.report_incident(report, actor=w.grid, client_key=key)
    assert one.pk == again.pk and Incident.objects.count() == 1
    with pytest.raises(Invalid):
        services.report_incident(
            services.FirstReport(jurisdiction=w.grid_a1, situation=" "), actor=w.grid
        )


def test_the_grid_worker_reports_but_does_not_grade(cases_world):
    w = cases_world
    incident = first_report(w)
    with pytest.raises(NotAllowed):
        services.grade(incident, actor=w.grid, level=Level.IV)


# --- the duty roster ---------------------------------------------------------------------------


def test_shifts_of_the_day_and_the_night():
    assert shift_at(datetime(2026, 11, 24, 7, 59, tzinfo=TZ)) == (date(2026, 11, 23), Shift.NIGHT)
    assert shift_at(datetime(2026, 11, 24, 8, 0, tzinfo=TZ)) == (date(2026, 11, 24), Shift.DAY)
    assert shift_at(datetime(2026, 11, 24, 20, 0, tzinfo=TZ)) == (date(2026, 11, 24), Shift.NIGHT)


def test_the_roster_is_who_urgent_matters_reach(
    cases_world, clock, django_capture_on_commit_callbacks
):
    w = cases_world
    clock(2026, 11, 24, 22, 0)  # night shift
    officer = UserFactory(username="duty", jurisdiction=w.street)
    DutyShift.objects.create(jurisdiction=w.street, day=date(2026, 11, 24), shift=Shift.NIGHT,
                             user=officer, is_leader=True)  # fmt: skip
    assert list(on_duty(w.community_a)) == [officer]
    assert set(urgent_recipients(w.community_a)) == {officer, w.director}
    case = wf.register_case(
        actor=w.desk, title="邻里纠纷升级", description="双方持械对峙。",
        category=Category.objects.get(code="neighbour"), channel="visit",
        jurisdiction=w.community_a, parties=[wf.NewParty("王芳", "applicant", "13812345678")],
    ).case  # fmt: skip
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        wf.flag_urgent(case, actor=w.director, reason="有暴力倾向")
    assert Notification.objects.filter(recipient=officer, kind="urgent", case=case).exists()


def test_without_a_roster_urgent_matters_reach_the_leaders(cases_world, clock):
    w = cases_world
    assert set(urgent_recipients(w.community_a)) == {w.director, w.leader, w.top_leader}


def test_roster_gaps_are_flagged(cases_world):
    w = cases_world
    monday = date(2026, 11, 23)
    DutyShift.objects.create(jurisdiction=w.street, day=monday, shift=Shift.DAY, user=w.director,
                             is_leader=True)  # fmt: skip
    found = gaps(w.street, monday, 2)
    assert (monday, Shift.DAY) not in {(g.day, g.shift) for g in found}
    assert (monday, Shift.NIGHT) in {(g.day, g.shift) for g in found}
    assert (monday, None) not in {(g.day, g.shift) for g in found}  # a leader is on duty
    assert (date(2026, 11, 24), None) in {(g.day, g.shift) for g in found}


# --- drills, links, pages ---------------------------------------------------------------------


def test_a_drill_is_marked_and_never_counted(
    cases_world, plan, client_for, django_capture_on_commit_callbacks
):
    w = cases_world
    with django_capture_on_commit_callbacks(execute=True):
        drill = services.run_drill(plan, actor=w.director)
    assert drill.is_drill and drill.stage == Stage.ACTIVATED
    assert not services.counted(Incident.objects.all()).exists()
    assert (
        not Notification.objects.filter(kind="incident", link__contains=f"/{drill.pk}/")
        .exclude(recipient=w.team_lead)
        .exists()
    )  # only the plan's team is called to a drill
    page = client_for(w.director).get("/emergency/")
    assert drill.number not in page.content.decode()


def test_an_incident_spawns_and_links_cases(cases_world):
    w = cases_world
    incident = first_report(w)
    case = services.spawn_case(
        incident, actor=w.desk, title="燃气泄漏引发的赔偿纠纷", category=Category.objects.get(
            code="compensation"), description="泄漏造成邻居财物损失。", applicant="王芳",
    )  # fmt: skip
    assert case.channel == "transfer" and incident.cases.filter(pk=case.pk).exists()
    with pytest.raises(Invalid):
        services.link_case(incident, actor=w.desk_b, receipt_number=case.receipt_number)


def test_another_community_cannot_see_an_incident(cases_world, client_for):
    w = cases_world
    incident = first_report(w)
    other = client_for(w.desk_b)
    assert other.get(f"/emergency/{incident.pk}/").status_code == 404
    assert other.get(f"/emergency/{incident.pk}/district-report.pdf").status_code == 404
    assert incident.number not in other.get("/emergency/?show=all").content.decode()


def test_the_first_report_page_and_the_district_report(cases_world, client_for):
    w = cases_world
    client = client_for(w.grid)
    typed = {"jurisdiction": w.grid_a1.pk, "situation": "", "incident_type": "fire",
             "address": "桂花路12号"}  # fmt: skip
    bad = client.post("/emergency/report/", typed)
    assert bad.status_code == 400 and "桂花路12号" in bad.content.decode()
    ok = client.post("/emergency/report/", {"jurisdiction": w.grid_a1.pk, "situation": "仓库起火",
                                            "incident_type": "fire"})  # fmt: skip
    incident = Incident.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/emergency/{incident.pk}/"
    director = client_for(w.director)
    director.post(f"/emergency/{incident.pk}/do/grade/", {"level": "2"})
    pdf = director.get(f"/emergency/{incident.pk}/district-report.pdf")
    words = pdf_words(pdf.content)
    assert incident.number in words and "仓库起火" in words
    director.post(f"/emergency/{incident.pk}/reported/")
    incident.refresh_from_db()
    assert incident.reported_at and incident.district_report


def test_closing_without_a_summary_keeps_the_form(cases_world, client_for):
    w = cases_world
    incident = first_report(w)
    services.grade(incident, actor=w.director, level=Level.IV)
    services.advance(incident, actor=w.director, stage=Stage.RESPONSE)
    services.advance(incident, actor=w.director, stage=Stage.RECOVERY)
    response = client_for(w.director).post(f"/emergency/{incident.pk}/do/close/", {"summary": ""})
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.stage == Stage.RECOVERY


def test_the_supervision_desk_shows_the_clock(cases_world, client_for, clock):
    w = cases_world
    clock(2026, 11, 24, 9, 0)
    incident = services.grade(first_report(w), actor=w.director, level=Level.II)
    clock(2026, 11, 24, 11, 30)
    body = client_for(w.supervisor).get("/supervision/").content.decode()
    assert incident.number in body and "overdue by 30 min" in body
    services.mark_reported(incident, actor=w.director, pdf=b"%PDF")
    assert incident.number not in client_for(w.supervisor).get("/supervision/").content.decode()


def test_the_months_incidents_are_on_the_meeting_agenda(cases_world, plan):
    from yimen.meetings.agenda import build_agenda

    w = cases_world
    incident = first_report(w)
    services.run_drill(plan, actor=w.director)
    items = [item for item in build_agenda(w.director, timezone.localdate())
             if item.source == "incidents"]  # fmt: skip
    assert [item.link for item in items] == [f"/emergency/{incident.pk}/"]


def test_the_reporters_contact_is_sealed_at_rest(cases_world):
    incident = first_report(cases_world, reporter_contact="张师傅 13812345678")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reporter_contact FROM emergency_incident WHERE id = %s", [incident.pk]
        )
        (stored,) = cursor.fetchone()
    assert stored.startswith(PREFIX) and "13812345678" not in stored
    assert Incident.objects.get(pk=incident.pk).reporter_contact == "张师傅 13812345678"
