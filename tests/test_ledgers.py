"""The case lifecycle's registers — intake, assignment, follow-up, reminder and named
supervision — checked against a known month.

The month is March 2026. Its matters go through the real workflow (register, route, accept,
resolve, close, follow up, remind, list), and then their times are written back to fixed
March dates (setup, not the rules under test), so every register's rows can be read off
the list in ``march``. Community B's reader must see and count none of community A's rows
on the page, the print view, the spreadsheet or the PDF.
"""

from datetime import date, datetime, timedelta
from io import BytesIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from yimen.cases import workflow as wf
from yimen.cases.models import (
    AssignmentSlip,
    Case,
    Category,
    Complexity,
    FollowUp,
    Party,
    Satisfaction,
    Status,
)
from yimen.ledgers.registry import LEDGERS
from yimen.org.models import Role
from yimen.supervision import services
from yimen.supervision.models import NamedSupervision, ReminderSlip

from .factories import UserFactory
from .mediation_support import ID_NUMBER, PHONE
from .pdf_support import pdf_words

TZ = ZoneInfo("Asia/Shanghai")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
CASE_REGISTERS = ("intake", "assignments", "follow_ups")
SUPERVISION_REGISTERS = ("reminders", "named_supervision")
ALL = CASE_REGISTERS + SUPERVISION_REGISTERS

HEADERS = {
    "intake": [
        "Receipt number", "Received at", "Channel", "Category", "Title", "Account of the matter",
        "Place", "Parties", "Received by", "Lead unit", "Status", "Deadline", "Closed on",
    ],
    "assignments": [
        "Slip number", "Issued on", "Receipt number", "Title", "Category", "Lead unit",
        "Co-handling units", "Complexity", "Deadline", "Issued by", "Suggested unit (overridden)",
        "Reason for another unit", "Status now", "Resolved on",
    ],
    "follow_ups": [
        "Followed up on", "Receipt number", "Title", "Category", "Lead unit", "Followed up by",
        "Satisfaction", "Resident's comment", "Reopened", "Reason for keeping it closed",
    ],
    "reminders": [
        "Slip number", "Issued on", "Receipt number", "Title", "Sent to", "Issued by",
        "Reminder", "Reply by", "Status", "Signed by", "Signed on", "Reply", "Replied on",
    ],
    "named_supervision": [
        "Receipt number", "Listed on", "Title", "Category", "Why it is listed",
        "Responsible unit", "Responsible leader", "Deadline", "Listed by", "Progress reports",
        "Status now", "Closed on", "Closing note",
    ],
}  # fmt: skip
# A column holding a date of the period, for the "real dates" check.
DATE_COLUMN = {
    "intake": "Closed on",
    "assignments": "Issued on",
    "follow_ups": "Followed up on",
    "reminders": "Issued on",
    "named_supervision": "Listed on",
}


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def at(month, day, hour=10, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def later(days=30):
    return timezone.localdate() + timedelta(days=days)


def registered(w, name, *, received, community="a", channel="visit", category="neighbour"):
    """A matter with an applicant and a respondent (full phone and ID), received at a fixed time."""
    case = wf.register_case(
        actor=w.desk if community == "a" else w.desk_b,
        title=f"事项{name}",
        description=f"关于{name}的情况说明。",
        category=Category.objects.get(code=category),
        channel=channel,
        jurisdiction=w.community_a if community == "a" else w.community_b,
        address=f"{name}号楼",
        parties=[
            wf.NewParty(f"申请人{name}", "applicant", PHONE, ID_NUMBER),
            wf.NewParty(f"被申请人{name}", "respondent", "13900001111"),
        ],
    ).case
    Case.objects.filter(pk=case.pk).update(received_at=received)
    case.refresh_from_db()
    return case


def routed(w, case, *, unit, issued, complexity=Complexity.GENERAL, **kwargs):
    slip = wf.route_case(case, actor=w.director, unit=unit, complexity=complexity, **kwargs)
    AssignmentSlip.objects.filter(pk=slip.pk).update(issued_at=issued)
    return slip


def closed(w, case, *, handler, on):
    wf.accept_case(case, actor=handler)
    wf.submit_result(case, actor=handler, result="已处理完毕。")
    wf.close_case(case, actor=w.director)
    Case.objects.filter(pk=case.pk).update(resolved_at=on, closed_at=on)
    case.refresh_from_db()


def dated(model, obj, **times):
    model.objects.filter(pk=obj.pk).update(**times)


@pytest.fixture
def march(cases_world):
    """The known month.

    Received in March: a1 (2nd), b1 (5th, community B), a2 (10th), a6 (18th, online) and
    a3 (31st, 23:30 local); a4 came in February and a5 on 1 April just after midnight.
    Slips issued in March: a1 (2nd), a4 (3rd), b1 (6th), a2 (10th, overriding the rule).
    Follow-ups in March: a1 (20th, staff), b1 (22nd, reopened), a4 (24th, resident online).
    Reminder slips: a2 (12th, signed), b1 (25th, draft). Named supervision: b1 (8th), a2 (15th).
    """
    w = cases_world
    w.supervisor_b = UserFactory(
        username="supervisor_b", role=Role.SUPERVISOR, jurisdiction=w.community_b
    )
    a1 = registered(w, "a1", received=at(3, 2, 9))
    routed(w, a1, unit=w.committee_a, issued=at(3, 2, 11))
    closed(w, a1, handler=w.mediator, on=at(3, 19))
    item = wf.follow_up(a1, actor=w.desk, satisfaction=Satisfaction.SATISFIED, comment="满意")
    dated(FollowUp, item, at=at(3, 20))

    b1 = registered(w, "b1", received=at(3, 5), community="b")
    routed(w, b1, unit=w.committee_b, issued=at(3, 6), complexity=Complexity.COMPLEX)
    wf.accept_case(b1, actor=w.mediator_b)
    listing = services.list_for_supervision(
        b1, actor=w.director, unit=w.committee_b, leader=w.leader, deadline=later(),
        reason="群体性纠纷",
    )  # fmt: skip
    dated(NamedSupervision, listing, listed_at=at(3, 8))
    wf.submit_result(b1, actor=w.mediator_b, result="已调解。")
    wf.close_case(b1, actor=w.director)
    item = wf.follow_up(
        b1, actor=w.desk_b, satisfaction=Satisfaction.DISSATISFIED, comment="没解决", reopen=True
    )
    dated(FollowUp, item, at=at(3, 22))
    slip = services.issue_reminder(b1, actor=w.supervisor, text="请尽快办理", reply_by=later(5))
    dated(ReminderSlip, slip, issued_at=at(3, 25))

    a2 = registered(w, "a2", received=at(3, 10), channel="call", category="environment")
    routed(w, a2, unit=w.police, issued=at(3, 10, 15), complexity=Complexity.COMPLEX,
           co_units=[w.safety], override_reason="现场需要民警")  # fmt: skip
    wf.accept_case(a2, actor=w.unit)
    slip = services.issue_reminder(a2, actor=w.supervisor, text="请报告进展", reply_by=later(5))
    services.approve_reminder(slip, actor=w.director)
    dated(ReminderSlip, slip, issued_at=at(3, 12), approved_at=at(3, 12, 16))
    listing = services.list_for_supervision(
        a2, actor=w.director, unit=w.police, leader=w.leader, deadline=later(), reason="久拖未决"
    )
    dated(NamedSupervision, listing, listed_at=at(3, 15))
    services.submit_progress_report(listing, actor=w.unit, text="已约谈")

    a3 = registered(w, "a3", received=at(3, 31, 23, 30), channel="letter", category="other")
    a4 = registered(w, "a4", received=at(2, 27))
    routed(w, a4, unit=w.committee_a, issued=at(3, 3))
    closed(w, a4, handler=w.mediator, on=at(3, 23))
    dated(FollowUp, wf.rate_by_resident(a4, Satisfaction.BASICALLY, "还行"), at=at(3, 24))
    a5 = registered(w, "a5", received=at(4, 1, 0, 10))
    a6 = wf.submit_online(
        title="事项a6", description="路灯不亮。", category=Category.objects.get(code="urban"),
        jurisdiction=w.community_a, phone=PHONE, name="申请人a6",
    ).case  # fmt: skip
    Case.objects.filter(pk=a6.pk).update(received_at=at(3, 18))
    w.cases = SimpleNamespace(a1=a1, a2=a2, a3=a3, a4=a4, a5=a5, a6=a6, b1=b1)
    return w


def numbers(w, *names):
    return [getattr(w.cases, name).receipt_number for name in names]


def a_numbers(w):
    return numbers(w, "a1", "a2", "a3", "a4", "a5", "a6")


def column(response, header):
    """The texts of one column of the page's table, top to bottom."""
    headers = [str(c.header) for c in response.context["ledger"].columns]
    index = headers.index(header)
    return [row["cells"][index]["text"] for row in response.context["table"]]


def sheet_of(response):
    return load_workbook(BytesIO(b"".join(response.streaming_content))).active


def header_and_data(sheet, first_header):
    """The header row's number and values, and the data rows under it."""
    values = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(values) if row and row[0] == first_header)
    return header + 1, list(values[header]), [r for r in values[header + 1 :] if r and r[0]]


# --- each register's rows -------------------------------------------------------------------


def test_the_intake_register_lists_every_matter_received_in_the_month(march, client_for):
    w = march
    client = client_for(w.director)
    page = client.get("/ledgers/intake/", MARCH)
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 5
    assert column(page, "Receipt number") == numbers(w, "a1", "b1", "a2", "a6", "a3")
    first = page.context["table"][0]
    assert first["link"] == f"/cases/{w.cases.a1.pk}/"
    assert column(page, "Received at")[0] == "2026-03-02 09:00"
    assert column(page, "Place")[0] == "桂花社区 a1号楼"
    assert column(page, "Parties")[0] == "Applicant 申请人a1；Respondent 被申请人a1"
    assert column(page, "Lead unit")[:3] == [w.committee_a.name, w.committee_b.name, w.police.name]
    assert column(page, "Status")[0] == "Closed"
    assert column(page, "Closed on")[0] == "2026-03-19"
    assert column(page, "Received by")[3] == "Resident, online"
    assert column(page, "Channel")[2] == "Call (来电)"


def test_the_intake_register_filters_by_channel_category_status_and_unit(march, client_for):
    w = march
    client = client_for(w.director)

    def listed(**filters):
        page = client.get("/ledgers/intake/", {**MARCH, **filters})
        assert page.status_code == 200
        return column(page, "Receipt number")

    assert listed(channel="call") == numbers(w, "a2")
    assert listed(category="other") == numbers(w, "a3")
    assert listed(status=Status.REGISTERED) == numbers(w, "a6", "a3")
    assert listed(unit=w.police.pk) == numbers(w, "a2")


def test_registers_never_print_phone_or_id_numbers(march, client_for):
    w = march
    client = client_for(w.director)
    page = client.get("/ledgers/intake/", MARCH).content.decode()
    printed = client.get("/ledgers/intake/print/", MARCH).content.decode()
    pdf = pdf_words(client.get("/ledgers/intake/export.pdf", MARCH).content)
    sheet = sheet_of(client.get("/ledgers/intake/export.xlsx", MARCH))
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    for text in (page, printed, pdf, cells):
        assert "申请人a1" in text
        assert PHONE not in text and ID_NUMBER not in text and "13900001111" not in text
    assert w.cases.a1.parties.filter(phone=PHONE).exists()  # the data is there, just not shown


def test_the_assignment_register_lists_the_slips_issued_in_the_month(march, client_for):
    w = march
    page = client_for(w.director).get("/ledgers/assignments/", MARCH)
    assert page.context["page"].paginator.count == 4
    assert column(page, "Receipt number") == numbers(w, "a1", "a4", "b1", "a2")
    row = dict(zip(HEADERS["assignments"], [c["text"] for c in page.context["table"][3]["cells"]],
                   strict=True))  # fmt: skip
    assert row["Issued on"] == "2026-03-10"
    assert row["Lead unit"] == w.police.name and row["Co-handling units"] == w.safety.name
    assert row["Complexity"] == "Complex (15 working days)"
    assert row["Suggested unit (overridden)"] == w.hall.name
    assert row["Reason for another unit"] == "现场需要民警"
    assert row["Status now"] == "Accepted" and row["Issued by"] == str(w.director)
    assert column(page, "Suggested unit (overridden)")[0] == ""  # the rule was followed
    assert column(page, "Resolved on")[:2] == ["2026-03-19", "2026-03-23"]
    filtered = client_for(w.director).get("/ledgers/assignments/", {**MARCH, "unit": w.police.pk})
    assert column(filtered, "Receipt number") == numbers(w, "a2")


def test_the_follow_up_register_lists_staff_and_resident_follow_ups(march, client_for):
    w = march
    client = client_for(w.director)
    page = client.get("/ledgers/follow_ups/", MARCH)
    assert page.context["page"].paginator.count == 3
    assert column(page, "Receipt number") == numbers(w, "a1", "b1", "a4")
    assert column(page, "Followed up by") == [str(w.desk), str(w.desk_b), "Resident, online"]
    assert column(page, "Satisfaction") == ["Satisfied", "Dissatisfied", "Basically satisfied"]
    assert column(page, "Reopened") == ["No", "Yes", "No"]
    assert column(page, "Resident's comment") == ["满意", "没解决", "还行"]
    unhappy = client.get("/ledgers/follow_ups/", {**MARCH, "satisfaction": "dissatisfied"})
    assert column(unhappy, "Receipt number") == numbers(w, "b1")


def test_the_reminder_register_lists_signed_slips_and_drafts_to_the_center(march, client_for):
    w = march
    page = client_for(w.director).get("/ledgers/reminders/", MARCH)
    assert column(page, "Receipt number") == numbers(w, "a2", "b1")
    assert column(page, "Signed by") == [str(w.director), ""]
    assert column(page, "Signed on") == ["2026-03-12", ""]
    assert column(page, "Sent to") == [w.police.name, w.committee_b.name]
    # An administrator reads the register, but unsigned slips stay inside the center.
    admin = client_for(w.admin).get("/ledgers/reminders/", MARCH)
    assert column(admin, "Receipt number") == numbers(w, "a2")
    drafts = client_for(w.director).get("/ledgers/reminders/", {**MARCH, "status": "draft"})
    assert column(drafts, "Receipt number") == numbers(w, "b1")


def test_the_named_supervision_register_lists_the_months_listings(march, client_for):
    w = march
    page = client_for(w.director).get("/ledgers/named_supervision/", MARCH)
    assert column(page, "Receipt number") == numbers(w, "b1", "a2")
    assert column(page, "Responsible unit") == [w.committee_b.name, w.police.name]
    assert column(page, "Progress reports") == ["0", "1"]
    assert column(page, "Why it is listed") == ["群体性纠纷", "久拖未决"]
    assert column(page, "Responsible leader") == [str(w.leader)] * 2
    by_police = client_for(w.director).get(
        "/ledgers/named_supervision/", {**MARCH, "unit": w.police.pk, "state": "open"}
    )
    assert column(by_police, "Receipt number") == numbers(w, "a2")


def test_who_may_read_which_register(march, client_for):
    w = march
    assert client_for(w.desk).get("/ledgers/intake/").status_code == 200
    assert client_for(w.desk).get("/ledgers/reminders/").status_code == 404
    assert client_for(w.leader).get("/ledgers/named_supervision/").status_code == 200
    for user in (w.unit, w.mediator, w.grid):
        assert client_for(user).get("/ledgers/intake/").status_code == 404
    index = client_for(w.supervisor).get("/ledgers/").content.decode()
    for title in ("来访来电登记簿", "交办登记簿", "回访登记簿", "催办登记簿", "挂牌督办登记簿"):
        assert title in index


# --- the same for every register ----------------------------------------------------------------


def other_community_reader(w, code):
    return w.desk_b if code in CASE_REGISTERS else w.supervisor_b


@pytest.mark.parametrize("code", ALL)
def test_another_community_sees_and_counts_none_of_community_as_rows(march, client_for, code):
    w = march
    client = client_for(other_community_reader(w, code))
    page = client.get(f"/ledgers/{code}/", MARCH)
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 1
    assert column(page, "Receipt number") == numbers(w, "b1")
    printed = client.get(f"/ledgers/{code}/print/", MARCH).content.decode()
    pdf = pdf_words(client.get(f"/ledgers/{code}/export.pdf", MARCH).content)
    sheet = sheet_of(client.get(f"/ledgers/{code}/export.xlsx", MARCH))
    _, _, data = header_and_data(sheet, HEADERS[code][0])
    assert len(data) == 1
    cells = " ".join(str(c) for row in data for c in row)
    for text in (page.content.decode(), printed, pdf, cells):
        assert w.cases.b1.receipt_number in text
        assert not any(number in text for number in a_numbers(w))


@pytest.mark.parametrize("code", ALL)
def test_a_filter_naming_another_communitys_unit_is_refused(march, client_for, code):
    w = march
    client = client_for(other_community_reader(w, code))
    for url in (f"/ledgers/{code}/", f"/ledgers/{code}/export.xlsx", f"/ledgers/{code}/print/"):
        response = client.get(url, {**MARCH, "unit": w.committee_a.pk})
        assert response.status_code == 400
        assert w.cases.a1.receipt_number not in response.content.decode()
    # A unit above both communities is a fair filter for either.
    assert client.get(f"/ledgers/{code}/", {**MARCH, "unit": w.police.pk}).status_code == 200


@pytest.mark.parametrize("code", ALL)
def test_the_spreadsheet_has_the_registers_columns_rows_and_real_dates(march, client_for, code):
    w = march
    client = client_for(w.director)
    page = client.get(f"/ledgers/{code}/", MARCH)
    sheet = sheet_of(client.get(f"/ledgers/{code}/export.xlsx", MARCH))
    header_row, headers, data = header_and_data(sheet, HEADERS[code][0])
    assert headers == HEADERS[code]
    assert len(data) == page.context["page"].paginator.count
    assert sheet.cell(row=1, column=1).value == str(LEDGERS[code].title)
    index = headers.index(DATE_COLUMN[code])
    cell = sheet.cell(row=header_row + 1, column=index + 1)
    assert isinstance(cell.value, datetime) and cell.value.month == 3
    assert cell.number_format == "yyyy-mm-dd"
    receipts = {row[headers.index("Receipt number")] for row in data}
    assert receipts == set(column(page, "Receipt number"))


def test_the_intake_spreadsheet_keeps_the_time_received(march, client_for):
    sheet = sheet_of(client_for(march.director).get("/ledgers/intake/export.xlsx", MARCH))
    header_row, headers, data = header_and_data(sheet, "Receipt number")
    assert data[0][1] == datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - Excel times are local, naive
    assert data[-1][1] == datetime(2026, 3, 31, 23, 30)  # noqa: DTZ001
    assert sheet.cell(row=header_row + 1, column=2).number_format == "yyyy-mm-dd hh:mm"


@pytest.mark.parametrize("code", ALL)
def test_the_pdf_carries_the_receipt_numbers(march, client_for, code):
    w = march
    client = client_for(w.director)
    page = client.get(f"/ledgers/{code}/", MARCH)
    pdf = client.get(f"/ledgers/{code}/export.pdf", MARCH)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_words(pdf.content)
    assert str(LEDGERS[code].title).split("(")[1].rstrip(")") in text
    for number in column(page, "Receipt number"):
        assert number in text


# --- cost -----------------------------------------------------------------------------------


def many_rows(w, n, *, start=0):
    """``n`` matters of community A with every register's row, written straight to the tables."""
    category = Category.objects.get(code="neighbour")
    for i in range(start, start + n):
        case = Case.objects.create(
            receipt_number=f"QC-{i:05d}", tracking_code_hash="x", title=f"批量{i}",
            description="说明", category=category, channel="visit", jurisdiction=w.community_a,
            received_by=w.desk, received_at=at(3, 1 + i % 28), status=Status.ACCEPTED,
            complexity=Complexity.COMPLEX, lead_unit=w.committee_a,
        )  # fmt: skip
        Party.objects.create(case=case, role="applicant", name=f"甲{i}")
        Party.objects.create(case=case, role="respondent", name=f"乙{i}")
        AssignmentSlip.objects.create(
            case=case, number=f"QJ-{i:05d}", issued_at=at(3, 2), issued_by=w.director,
            lead_unit=w.committee_a, complexity=Complexity.COMPLEX, deadline=date(2026, 3, 20),
            suggested_unit=w.hall, override_reason="就近",
        )  # fmt: skip
        FollowUp.objects.create(
            case=case, by=w.desk, at=at(3, 25), satisfaction=Satisfaction.SATISFIED
        )
        ReminderSlip.objects.create(
            number=f"QR-{i:05d}", case=case, unit=w.committee_a, issued_by=w.supervisor,
            issued_at=at(3, 5), text="催", reply_by=date(2026, 3, 9), approved_by=w.director,
        )  # fmt: skip
        NamedSupervision.objects.create(
            case=case, responsible_unit=w.committee_a, responsible_leader=w.leader,
            deadline=date(2026, 4, 1), reason="复杂", listed_by=w.director, listed_at=at(3, 6),
        )  # fmt: skip


@pytest.mark.parametrize("code", ALL)
def test_a_page_costs_the_same_queries_for_5_rows_as_for_40(cases_world, client_for, code):
    w = cases_world
    client = client_for(w.director)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/ledgers/{code}/", MARCH)
        assert response.status_code == 200
        return len(captured), response.context["page"].paginator.count

    many_rows(w, 5)
    few, five = queries()
    many_rows(w, 35, start=5)
    lots, forty = queries()
    assert (five, forty) == (5, 40)
    assert lots == few


def test_an_intake_register_of_1500_rows_exports_every_row(cases_world, client_for):
    w = cases_world
    category = Category.objects.get(code="neighbour")
    cases = Case.objects.bulk_create(
        Case(
            receipt_number=f"BK-{i:05d}", tracking_code_hash="x", title=f"批量{i}",
            description="说明", category=category, channel="call", jurisdiction=w.community_a,
            received_by=w.desk, received_at=at(3, 1 + i % 31, 8 + i % 12),
        )
        for i in range(1500)
    )  # fmt: skip
    Party.objects.bulk_create(Party(case=c, role="applicant", name="甲") for c in cases)
    client = client_for(w.director)
    page = client.get("/ledgers/intake/", MARCH)
    assert page.context["page"].paginator.count == 1500
    assert len(page.context["table"]) == 100
    sheet = sheet_of(client.get("/ledgers/intake/export.xlsx", MARCH))
    _, _, data = header_and_data(sheet, "Receipt number")
    assert len(data) == 1500
    assert {row[0] for row in data} == {c.receipt_number for c in cases}
