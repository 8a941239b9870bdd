"""Periodic reports: the schedule and its reminders, the figures of a known month, filing
that freezes a report, scoping, and the filed PDF and workbook.

The month is November 2026 and the figures are generated on Thursday 2026-12-03. The cases
are registered through the workflow, then their dates and states are set straight in the
table (setup: the figures read rows, and each row's story is stated beside it). The
calendar is the real 2026 schedule: National Day Thu 10-1 to Wed 10-7 with Saturday 10-10
a working day, the Spring Festival Sun 2-15 to Mon 2-23 with Saturday 2-14 and 2-28 working.
"""

import hashlib
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from yimen.audit.models import Event
from yimen.cases.models import FollowUp, Status
from yimen.cases.workflow import NotAllowed, WorkflowError
from yimen.mediation.models import AgreementDocument, AgreementStatus, Mediation, Outcome
from yimen.notices.models import NoticeKind, Notification
from yimen.periods import Period
from yimen.reports import schedule, services
from yimen.reports.content import read_snapshot
from yimen.reports.models import Report, ReportReminder, ReportStatus
from yimen.reports.schedule import ReportKind
from yimen.supervision.sweep import run_sweep
from yimen.workdays.calendar import WorkCalendar
from yimen.workdays.sources import package_special_days

from .case_support import case_as_of
from .pdf_support import pdf_words

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
TODAY = date(2026, 12, 3)
INFO, MONTHLY = ReportKind.INFORMATION, ReportKind.MONTHLY
CALENDAR = WorkCalendar(
    {d: working for year in (2025, 2026) for d, working, _n in package_special_days(year)},
    frozenset({2025, 2026}),
)


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def at(month, day, hour=10, year=2026):
    return datetime(year, month, day, hour, tzinfo=TZ)


# --- the schedule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2026, 10, 13), date(2026, 10, 13), date(2026, 10, 22)),
        (date(2026, 10, 22), date(2026, 10, 13), date(2026, 10, 22)),
        (date(2026, 10, 23), date(2026, 10, 23), date(2026, 11, 12)),
        (date(2026, 11, 12), date(2026, 10, 23), date(2026, 11, 12)),
        (date(2026, 1, 5), date(2025, 12, 23), date(2026, 1, 12)),  # across the new year
        (date(2026, 2, 28), date(2026, 2, 23), date(2026, 3, 12)),
    ],
)
def test_the_information_report_periods(day, start, end):
    assert schedule.period_of(INFO, day) == Period(start, end)


def test_the_information_reports_cover_every_day_once():
    period = schedule.period_of(INFO, date(2026, 1, 1))
    days = 0
    while period.start.year == 2026 or period.end.year == 2026:
        following = schedule.period_of(INFO, period.end + timedelta(days=1))
        assert following.start == period.end + timedelta(days=1)
        assert {following.start.day, period.start.day} == {13, 23}
        days += (period.end - period.start).days + 1
        period = following
    assert days == (date(2027, 1, 12) - date(2025, 12, 23)).days + 1


def test_the_monthly_report_covers_the_calendar_month():
    assert schedule.period_of(MONTHLY, date(2026, 2, 14)) == Period(
        date(2026, 2, 1), date(2026, 2, 28)
    )
    assert schedule.last_ended(MONTHLY, date(2026, 12, 3)) == NOVEMBER
    assert schedule.last_ended(INFO, date(2026, 10, 13)) == Period(
        date(2026, 9, 23), date(2026, 10, 12)
    )
    assert schedule.is_scheduled(MONTHLY, NOVEMBER)
    assert not schedule.is_scheduled(INFO, NOVEMBER)


@pytest.mark.parametrize(
    ("kind", "day", "due"),
    [
        (INFO, date(2026, 10, 1), date(2026, 10, 13)),  # Tuesday: stays
        (INFO, date(2026, 10, 15), date(2026, 10, 23)),  # Friday: stays
        (INFO, date(2026, 2, 20), date(2026, 2, 24)),  # Mon 2-23 is the Spring Festival
        (INFO, date(2026, 9, 1), date(2026, 9, 14)),  # Sunday 9-13 → Monday
        (MONTHLY, date(2026, 9, 10), date(2026, 10, 8)),  # 10-5 National Day → Thursday 10-8
        (MONTHLY, date(2026, 11, 10), date(2026, 12, 7)),  # Saturday 12-5 → Monday
        (MONTHLY, date(2026, 1, 10), date(2026, 2, 5)),  # Thursday: stays
    ],
)
def test_due_dates_move_off_non_working_days(kind, day, due):
    period = schedule.period_of(kind, day)
    assert schedule.due_date(kind, period, CALENDAR, monthly_due_day=5) == due


def test_a_monthly_due_day_past_a_short_month_is_its_last_day():
    january = schedule.period_of(MONTHLY, date(2026, 1, 1))
    assert schedule.nominal_due_date(MONTHLY, january, 31) == date(2026, 2, 28)
    # Saturday 2-28 is an adjusted working day (调休): it stays.
    assert schedule.due_date(MONTHLY, january, CALENDAR, 31) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("due", "days", "reminded"),
    [
        (date(2026, 10, 13), 2, date(2026, 10, 10)),  # Mon 10-12, then the working Saturday
        (date(2026, 10, 13), 1, date(2026, 10, 12)),
        (date(2026, 10, 13), 3, date(2026, 10, 9)),  # Sunday 10-11 does not count
        (date(2026, 10, 8), 2, date(2026, 9, 29)),  # back over the whole National Day week
        (date(2026, 2, 24), 2, date(2026, 2, 13)),  # Sat 2-14 works, the festival does not
        (date(2026, 10, 23), 2, date(2026, 10, 21)),
        (date(2026, 10, 23), 0, date(2026, 10, 23)),
    ],
)
def test_the_reminder_day_counts_working_days_back(due, days, reminded):
    assert schedule.reminder_day(due, CALENDAR, days) == reminded


def test_the_due_reports_between_two_days():
    dues = schedule.dues_between(
        INFO, date(2026, 10, 1), date(2026, 10, 31), CALENDAR, monthly_due_day=5, remind_days=2
    )
    assert [(d.period.start, d.date, d.remind_on) for d in dues] == [
        (date(2026, 9, 23), date(2026, 10, 13), date(2026, 10, 10)),
        (date(2026, 10, 13), date(2026, 10, 23), date(2026, 10, 21)),
    ]


def test_the_monthly_due_day_is_a_setting(db, settings):
    settings.YIMEN_MONTHLY_REPORT_DUE_DAY = 10
    september = Period(date(2026, 9, 1), date(2026, 9, 30))
    assert services.scheduled_due_date(MONTHLY, september) == date(2026, 10, 10)
    assert services.scheduled_due_date(MONTHLY, Period(date(2026, 9, 1), date(2026, 9, 15))) is None


# --- a known month -------------------------------------------------------------------------------


def case(w, label, *, place, category, received, status=Status.REGISTERED, deadline=None,
         resolved=None, urgent=False, unit=None, about_staff=None):  # fmt: skip
    return case_as_of(w, label, place=place, category=category, received=received,
                      registered={"is_urgent": urgent, "about_staff": about_staff},
                      status=status, deadline=deadline, resolved_at=resolved,
                      lead_unit=unit)  # fmt: skip


def mediation(w, made, number, *, opened, outcome, concluded, signed=None):
    m = Mediation.objects.create(
        case=made, committee=w.committee_a, number=f"TJ-R-{number}", opened_at=opened,
        opened_by=w.mediator, outcome=outcome, concluded_at=concluded,
    )  # fmt: skip
    if signed:
        AgreementDocument.objects.create(
            mediation=m, number=f"XY-R-{number}", status=AgreementStatus.SIGNED,
            dispute_summary="纠纷", terms="赔偿", amount=Decimal("1200.00"),
            drafted_by=w.mediator, drafted_at=signed, signed_at=signed, signed_by=w.mediator,
        )  # fmt: skip
    return m


@pytest.fixture
def month(mw):
    w, S = mw, Status
    w.c1 = case(
        w,
        "楼道堆物",
        place=w.grid_a1,
        category="neighbour",
        received=at(11, 2),
        status=S.IN_PROGRESS,
        deadline=date(2026, 11, 10),
        unit=w.committee_a,
    )  # overdue
    w.c2 = case(
        w,
        "围墙倒塌",
        place=w.community_a,
        category="neighbour",
        received=at(11, 16),
        status=S.ROUTED,
        deadline=date(2026, 12, 4),
        urgent=True,
        unit=w.committee_a,
    )  # due soon, urgent
    w.c3 = case(
        w,
        "路灯损坏",
        place=w.grid_b1,
        category="hazard",
        received=at(11, 17),
        status=S.IN_PROGRESS,
        deadline=date(2026, 12, 15),
        unit=w.committee_b,
    )  # open
    w.c4 = case(
        w,
        "赡养纠纷",
        place=w.grid_a1,
        category="family",
        received=at(11, 5),
        status=S.RESOLVED,
        deadline=date(2026, 11, 14),
        resolved=at(11, 12),
        unit=w.committee_a,
    )  # on time, mediated with an agreement
    w.c5 = case(
        w,
        "垃圾清运",
        place=w.community_a,
        category="environment",
        received=at(10, 20),
        status=S.CLOSED,
        deadline=date(2026, 10, 30),
        resolved=at(11, 3),
    )  # resolved late; received in October
    w.c6 = case(w, "其他咨询", place=w.community_a, category="other", received=at(11, 18))
    w.c7 = case(
        w,
        "投诉窗口人员",
        place=w.community_a,
        category="staff_complaint",
        received=at(11, 19),
        status=S.IN_PROGRESS,
        deadline=date(2026, 11, 25),
        unit=w.hall,
        about_staff=w.desk,
    )  # overdue: counted, never named
    w.c8 = case(
        w,
        "燃气泄漏",
        place=w.community_a,
        category="hazard",
        received=at(12, 1),
        status=S.ROUTED,
        deadline=date(2026, 12, 10),
        urgent=True,
        unit=w.safety,
    )  # urgent, received in December
    FollowUp.objects.create(case=w.c4, by=w.director, at=at(11, 15), satisfaction="satisfied")
    FollowUp.objects.create(case=w.c5, by=w.director, at=at(11, 6), satisfaction="dissatisfied")
    FollowUp.objects.create(case=w.c5, by=w.director, at=at(10, 31), satisfaction="satisfied")
    mediation(w, w.c4, 1, opened=at(11, 6), outcome=Outcome.AGREED, concluded=at(11, 11),
              signed=at(11, 11))  # fmt: skip
    mediation(w, w.c1, 2, opened=at(11, 3), outcome=Outcome.FAILED, concluded=at(11, 8))
    return w  # fmt: skip


def monthly(w, actor=None, today=TODAY):
    report, _created = services.generate_report(
        actor=actor or w.director, kind=MONTHLY, start=NOVEMBER.start, end=NOVEMBER.end,
        today=today,
    )  # fmt: skip
    return report


def test_the_figures_of_the_known_month(month):
    report = monthly(month)
    snap = report.figures
    assert report.jurisdiction == month.street and report.due_date == date(2026, 12, 7)
    assert dict(snap["figures"]) == {
        "received": 6,  # c1, c2, c3, c4, c6, c7 (c5 October, c8 December)
        "resolved": 2,  # c4, c5
        "on_time": 1,  # c4
        "followed_up": 2,  # c4, c5 (c5's October follow-up is not November's)
        "satisfied": 1,  # c4
        "mediated": 2,  # c4 agreed, c1 failed
        "mediation_succeeded": 1,  # c4
        "open": 6,  # c1, c2, c3, c6, c7, c8
        "due_soon": 1,  # c2, due Friday 12-4
        "overdue": 2,  # c1, c7
    }
    assert {code: (part, whole) for code, part, whole, _t in snap["rates"]} == {
        "on_time": (1, 2),
        "mediation_success": (1, 2),
        "satisfaction": (1, 2),
    }
    assert [(c["code"], c["count"]) for c in snap["categories"]] == [
        ("neighbour", 2), ("family", 1), ("hazard", 1), ("other", 1), ("staff_complaint", 1),
    ]  # fmt: skip
    assert dict(snap["mediation"]) == {
        "received": 2, "found_in_field": 0, "major": 0, "mediated": 2, "succeeded": 1,
        "partial": 0, "not_mediated": 0, "amount": "1200.00", "visits_done": 0,
        "visits_broken": 0, "pending_at_end": 0,
    }  # fmt: skip
    # The complaint about the grid worker is counted overdue above, but named nowhere.
    assert snap["overdue"] == [
        {"receipt_number": month.c1.receipt_number, "title": "楼道堆物",
         "lead_unit": "桂花社区人民调解委员会", "deadline": "2026-11-10"},
    ]  # fmt: skip
    assert [c["receipt_number"] for c in snap["urgent"]] == [
        month.c2.receipt_number,
        month.c8.receipt_number,
    ]
    assert "王芳" not in str(snap) and "138" not in str(snap)  # no party, no phone
    content = read_snapshot(snap)
    assert ("Received in the period", 6) in content.figures
    assert [r.percent for r in content.rates] == ["50.0%", "50.0%", "50.0%"]
    assert ("Amount involved (yuan)", Decimal("1200.00")) in content.mediation


def test_a_community_report_counts_that_community_even_when_regenerated_from_above(month):
    w = month
    services.set_responsible(actor=w.director, jurisdiction=w.community_a, kind=MONTHLY,
                             person=w.mediator)  # fmt: skip
    report = monthly(w, actor=w.mediator)
    assert report.jurisdiction == w.community_a
    assert dict(report.figures["figures"])["received"] == 5  # not c3 (community B)
    case(w, "新增事项", place=w.community_b, category="other", received=at(11, 20))
    case(w, "又一事项", place=w.community_a, category="other", received=at(11, 21))
    report = services.regenerate_figures(report, actor=w.director, today=TODAY)
    assert dict(report.figures["figures"])["received"] == 6  # community A's new one only
    assert report.figures_by == w.director


# --- generating -----------------------------------------------------------------------------------


def test_a_period_is_reported_once(month):
    first = monthly(month)
    again, created = services.generate_report(
        actor=month.supervisor, kind=MONTHLY, start=NOVEMBER.start, end=NOVEMBER.end, today=TODAY
    )
    assert again == first and not created
    assert Report.objects.count() == 1
    on_demand, created = services.generate_report(
        actor=month.director, kind=INFO, start=date(2026, 11, 1), end=date(2026, 11, 15),
        today=TODAY,
    )  # fmt: skip
    assert created and on_demand.due_date is None
    assert Event.objects.filter(action="reports.report.generated").count() == 2


def test_no_dates_give_the_latest_period_that_has_ended(month):
    report, _created = services.generate_report(actor=month.director, kind=INFO, today=TODAY)
    assert report.period == Period(date(2026, 11, 13), date(2026, 11, 22))
    assert report.due_date == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2026-11-30", "2026-11-01", "end", "The end date is before the start date."),
        ("2099-01-01", "2099-01-31", "start", "The period has not begun yet"),
        ("2026-11-01", "", "end", "Give the last day too"),
        ("2024-01-01", "2026-11-30", "end", "A report covers at most a year."),
    ],
)
def test_a_bad_period_is_refused_and_what_was_typed_is_kept(
    month, client_for, start, end, field, message
):
    response = client_for(month.director).post(
        reverse("reports:generate"), {"kind": MONTHLY, "start": start, "end": end}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert response.context["form"].errors[field]
    assert f'value="{start}"' in page
    if end:
        assert f'value="{end}"' in page
    assert not Report.objects.exists()


def test_generating_through_the_page_opens_the_report(month, client_for):
    client = client_for(month.director)
    response = client.post(
        reverse("reports:generate"), {"kind": MONTHLY, "start": "2026-11-01", "end": "2026-11-30"}
    )
    report = Report.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "reports:detail", args=[report.pk]
    )
    again = client.post(
        reverse("reports:generate"),
        {"kind": MONTHLY, "start": "2026-11-01", "end": "2026-11-30"},
        follow=True,
    )
    assert "This period has a report already" in again.content.decode()
    assert Report.objects.count() == 1


# --- who may -------------------------------------------------------------------------------------


def test_who_may_use_the_reports_pages(month, client_for):
    w = month
    for user in (w.director, w.supervisor, w.leader, w.admin):
        assert client_for(user).get(reverse("reports:index")).status_code == 200
    for user in (w.desk, w.mediator, w.unit, w.grid):
        assert client_for(user).get(reverse("reports:index")).status_code == 403
    services.set_responsible(actor=w.director, jurisdiction=w.community_a, kind=INFO,
                             person=w.mediator)  # fmt: skip
    assert client_for(w.mediator).get(reverse("reports:index")).status_code == 200
    # Responsible for the information report, not for the monthly one.
    with pytest.raises(NotAllowed):
        services.generate_report(actor=w.mediator, kind=MONTHLY, today=TODAY)
    report, _created = services.generate_report(actor=w.mediator, kind=INFO, today=TODAY)
    assert report.jurisdiction == w.community_a


def test_a_handling_units_account_or_someone_elsewhere_is_not_made_responsible(month):
    w = month
    with pytest.raises(WorkflowError) as refused:
        services.set_responsible(actor=w.director, jurisdiction=w.street, kind=INFO, person=w.unit)
    assert "handling unit" in refused.value.fields["person"]
    with pytest.raises(WorkflowError):
        services.set_responsible(actor=w.director, jurisdiction=w.street, kind=INFO,
                                 person=w.mediator)  # fmt: skip
    with pytest.raises(NotAllowed):
        services.set_responsible(actor=w.supervisor, jurisdiction=w.street, kind=INFO,
                                 person=w.leader)  # fmt: skip


def test_the_responsible_person_is_set_on_the_reports_page(month, client_for):
    w = month
    client = client_for(w.director)
    url = reverse("reports:responsible")
    data = {"jurisdiction": w.street.pk, "kind": INFO, "person": w.supervisor.pk}
    assert client.post(url, data).status_code == 302
    assert str(w.supervisor) in client.get(url).content.decode()
    event = Event.objects.get(action="reports.responsible.set")
    assert event.changes == {"user": [None, w.supervisor.pk]}
    # Emptied: the directors are responsible again.
    assert client.post(url, {**data, "person": ""}).status_code == 302
    assert not w.supervisor.pk == services.rules.responsible_people(w.street, INFO)[0].pk
    assert client_for(w.supervisor).post(url, data).status_code == 403


def test_another_communitys_users_get_404_for_the_report_and_its_documents(month, client_for):
    w = month
    services.set_responsible(actor=w.director, jurisdiction=w.community_a, kind=INFO,
                             person=w.mediator)  # fmt: skip
    report, _created = services.generate_report(actor=w.mediator, kind=INFO, today=TODAY)
    services.file_report(report, actor=w.mediator)
    urls = [
        reverse(name, args=[report.pk])
        for name in ("reports:detail", "reports:pdf", "reports:xlsx")
    ]
    for user in (w.desk_b, w.admin_b, w.mediator_b, w.desk):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)
    for user in (w.mediator, w.director, w.leader):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user.username, url)
    assert report.pk not in [
        r.pk for r in client_for(w.admin_b).get(reverse("reports:index")).context["page"]
    ]


# --- filing freezes ----------------------------------------------------------------------------


NARRATIVE = {
    "overview": "本月受理事项六件。",
    "problems": "邻里纠纷集中在桂花社区。",
    "measures": "开展楼道清理专项行动。",
    "next_steps": "加强网格巡查。",
}


def test_filing_writes_the_documents_and_freezes_the_report(month):
    w = month
    report = monthly(w)
    services.save_narrative(report, actor=w.supervisor, **NARRATIVE)
    assert Event.objects.filter(action="reports.report.narrative_saved").count() == 1
    with pytest.raises(NotAllowed):
        services.file_report(report, actor=w.supervisor)  # neither responsible nor a director
    report = services.file_report(report, actor=w.director)
    assert report.status == ReportStatus.FILED and report.filed_by == w.director
    assert report.pdf.name.endswith(".pdf") and report.xlsx.name.endswith(".xlsx")
    event = Event.objects.get(action="reports.report.filed")
    assert event.changes["pdf_sha256"] == hashlib.sha256(report.pdf.read()).hexdigest()

    case(w, "十一月又一件", place=w.community_a, category="other", received=at(11, 29))
    before = Report.objects.values().get(pk=report.pk)
    events = Event.objects.count()
    refusals = [
        lambda: services.save_narrative(report, actor=w.director, overview="改写"),
        lambda: services.regenerate_figures(report, actor=w.director, today=TODAY),
        lambda: services.file_report(report, actor=w.director),
        lambda: services.file_report(report, actor=w.admin),
    ]
    for refused in refusals:
        with pytest.raises(WorkflowError) as exc:
            refused()
        assert "no longer changes" in exc.value.message
    assert Report.objects.values().get(pk=report.pk) == before
    assert Event.objects.count() == events


def test_the_pages_refuse_changes_to_a_filed_report_with_the_reason(month, client_for):
    w = month
    report = monthly(w)
    client = client_for(w.director)
    response = client.post(reverse("reports:narrative", args=[report.pk]), NARRATIVE)
    assert response.status_code == 302
    assert client.post(reverse("reports:file", args=[report.pk])).status_code == 302
    before = Report.objects.values().get(pk=report.pk)
    for name, data in (
        ("reports:narrative", {**NARRATIVE, "overview": "改写"}),
        ("reports:regenerate", {}),
        ("reports:file", {}),
    ):
        response = client.post(reverse(name, args=[report.pk]), data)
        assert response.status_code == 409
        assert "no longer changes" in response.content.decode()
    assert Report.objects.values().get(pk=report.pk) == before
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Download the PDF" in page and 'id="filed-by"' in page
    assert 'action="/reports/' + str(report.pk) + '/narrative/"' not in page
    assert "本月受理事项六件。" in page


def test_the_filed_pdf_and_workbook(month, tmp_path):
    w = month
    report = monthly(w)
    services.save_narrative(report, actor=w.director, **NARRATIVE)
    report = services.file_report(report, actor=w.director)

    words = pdf_words(report.pdf.read())
    for title in ("月报", "概况", "主要问题和热点", "采取的措施", "下步工作"):
        assert title in words
    for text in (*NARRATIVE.values(), "青石街道", "2026-11-01~2026-11-30", "2026-12-07",
                 w.c1.receipt_number, "楼道堆物", "Receivedintheperiod6", "邻里纠纷2",
                 "On-timerate1/250.0%"):  # fmt: skip
        assert text in words, text
    assert w.c7.receipt_number not in words  # the complaint about staff is not named

    book = load_workbook(BytesIO(report.xlsx.read()))
    assert book.sheetnames == [
        "Figures", "Rates", "By category", "Mediation", "Overdue", "Urgent", "Narrative",
    ]  # fmt: skip
    figures = list(book["Figures"].iter_rows(values_only=True))
    assert figures[3] == ("Figure", "Number")
    assert ("Received in the period", 6) in figures
    rates = book["Rates"]
    assert [c.value for c in rates[4]] == ["Rate", "Part", "Whole", "Value", "Target"]
    assert rates["D5"].value == pytest.approx(0.5) and rates["D5"].number_format == "0.0%"
    overdue = list(book["Overdue"].iter_rows(values_only=True))
    assert overdue[3] == ("Receipt number", "Title", "Lead unit", "Deadline")
    assert overdue[4][0] == w.c1.receipt_number
    narrative = list(book["Narrative"].iter_rows(values_only=True))
    assert ("Overview (概况)", NARRATIVE["overview"]) in narrative


def test_the_filed_pdf_renders_to_an_image(month, tmp_path):
    report = services.file_report(monthly(month), actor=month.director)
    source = tmp_path / "report.pdf"
    source.write_bytes(report.pdf.read())
    subprocess.run(  # noqa: S603 - a fixed command on a file the test wrote
        [
            shutil.which("pdftoppm"),
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(tmp_path / "page"),
        ],
        check=True,
        capture_output=True,
    )
    (png,) = tmp_path.glob("page*.png")
    assert png.stat().st_size > 0
    with Image.open(png) as image:
        assert image.width > 300 and image.height > 400
        low, high = image.convert("L").getextrema()
        assert low < 100 < high  # ink on paper, not a blank page


# --- the reminder in the sweep --------------------------------------------------------------


def report_notices():
    return Notification.objects.filter(kind=NoticeKind.REPORT_DUE)


@pytest.fixture
def owners(cases_world):
    w = cases_world
    services.set_responsible(actor=w.director, jurisdiction=w.community_a, kind=INFO,
                             person=w.mediator)  # fmt: skip
    services.set_responsible(actor=w.director, jurisdiction=w.street, kind=INFO,
                             person=w.supervisor)  # fmt: skip
    return w


def test_the_sweep_reminds_the_responsible_once_two_working_days_before(owners):
    w = owners
    run_sweep(date(2026, 10, 9))  # Friday: three working days before Tuesday 10-13
    assert not report_notices().exists()
    run_sweep(date(2026, 10, 10))  # the working Saturday
    run_sweep(date(2026, 10, 10))
    run_sweep(date(2026, 10, 12))
    notices = list(report_notices().order_by("recipient__username"))
    assert [n.recipient for n in notices] == [w.mediator, w.supervisor]
    assert "due on 2026-10-13" in notices[0].message and "桂花社区" in notices[0].message
    assert "2026-09-23 ~ 2026-10-12" in notices[0].message
    assert notices[0].link == reverse("reports:index")
    # Only the people responsible: not the street's director, not the community's desk.
    assert not Notification.objects.filter(recipient__in=[w.director, w.desk]).exists()
    assert ReportReminder.objects.count() == 2


def test_a_filed_report_is_not_reminded_of(owners):
    w = owners
    report, _created = services.generate_report(
        actor=w.mediator, kind=INFO, start=date(2026, 9, 23), end=date(2026, 10, 12),
        today=date(2026, 10, 9),
    )  # fmt: skip
    assert report.due_date == date(2026, 10, 13)
    services.file_report(report, actor=w.mediator)
    run_sweep(date(2026, 10, 10))
    assert [n.recipient for n in report_notices()] == [w.supervisor]


def test_without_a_responsible_person_the_directors_are_reminded(cases_world):
    w = cases_world
    run_sweep(date(2026, 9, 28))
    assert not report_notices().exists()
    run_sweep(date(2026, 9, 29))  # the September report is due Thursday 10-8, after the holiday
    (notice,) = report_notices()
    assert notice.recipient == w.director
    assert "Monthly report" in notice.message and "2026-10-08" in notice.message
    assert Event.objects.filter(action="reports.reminders.sent").count() == 1


def test_the_index_lists_what_is_due_and_its_state(month, client_for):
    w = month
    client = client_for(w.director)
    rows = client.get(reverse("reports:index")).context["due"]
    assert {row.due.kind for row in rows} == {INFO, MONTHLY}
    assert {row.node for row in rows} == {w.street}  # nobody responsible below the street yet
    row = rows[-1]
    assert row.report is None and row.may_generate and row.people == [w.director]
    period = row.due.period
    client.post(
        reverse("reports:generate"),
        {"kind": row.due.kind, "start": period.start, "end": period.end},
    )
    rows = client.get(reverse("reports:index")).context["due"]
    assert rows[-1].report == Report.objects.get() and not rows[-1].may_generate
    services.set_responsible(actor=w.director, jurisdiction=w.community_a, kind=INFO,
                             person=w.mediator)  # fmt: skip
    mediator_rows = client_for(w.mediator).get(reverse("reports:index")).context["due"]
    assert {(r.node, r.due.kind) for r in mediator_rows} == {(w.community_a, INFO)}
