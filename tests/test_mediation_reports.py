"""The dispute register and the judicial office's reports, checked against a known month.

The month is November 2026. Its mediations are written straight to the tables with fixed
times (setup, not the rules under test), so every count in the report can be worked out
by hand from the list below; one more test takes a dispute through the real services and
finds it counted.
"""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from yimen.cases import workflow as wf
from yimen.cases.models import Category
from yimen.mediation.models import (
    AgreementDocument,
    AgreementStatus,
    FollowUpVisit,
    Mediation,
    Outcome,
    Performed,
)
from yimen.mediation.reports import HALF_MONTHLY, build_report
from yimen.periods import Period, half_month_of, last_half_month, month_of

from .mediation_support import PHONE, signed
from .pdf_support import pdf_words

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=TZ)


def mediation(w, number, *, committee="a", category="neighbour", opened, channel="visit",
              urgent=False, outcome="", concluded=None, agreement=None, visit=None):  # fmt: skip
    """One mediation with fixed times; ``agreement`` is ``(signed_at, amount, partial)``,
    ``visit`` is ``(done_at, broken)``."""
    community = w.community_a if committee == "a" else w.community_b
    case = wf.register_case(
        actor=w.desk if committee == "a" else w.desk_b,
        title=f"纠纷{number}",
        description="双方因琐事发生争执。",
        category=Category.objects.get(code=category),
        channel=channel,
        jurisdiction=community,
        is_urgent=urgent,
        parties=[wf.NewParty(f"申请人{number}", "applicant", PHONE)],
    ).case
    m = Mediation.objects.create(
        case=case,
        committee=w.committee_a if committee == "a" else w.committee_b,
        number=f"TJ-T-{number}",
        opened_at=opened,
        opened_by=w.mediator,
        outcome=outcome,
        concluded_at=concluded,
    )
    if agreement:
        signed_at, amount, partial = agreement
        doc = AgreementDocument.objects.create(
            mediation=m, number=f"XY-T-{number}", status=AgreementStatus.SIGNED,
            is_partial=partial, dispute_summary="纠纷", terms="赔偿", amount=amount,
            drafted_by=w.mediator, drafted_at=signed_at, signed_at=signed_at,
            signed_by=w.mediator,
        )  # fmt: skip
        if visit:
            done_at, broken = visit
            FollowUpVisit.objects.create(
                mediation=m, agreement=doc, due_on=date(2026, 12, 1), done_at=done_at,
                performed=Performed.NO if broken else Performed.YES, settled=not broken,
                reopened=broken,
            )  # fmt: skip
    return m


@pytest.fixture
def november(mw):
    """The known month. Received in November: 1, 2, 3, 4, 6, 7 (committee A) and 8 (B)."""
    w = mw
    agreed = Outcome.AGREED
    mediation(
        w,
        1,
        opened=at(11, 2),
        outcome=agreed,
        concluded=at(11, 9),
        agreement=(at(11, 9), Decimal("1200.00"), False),
        visit=(at(11, 20), False),
    )
    mediation(
        w,
        2,
        opened=at(11, 3),
        channel="screening",
        outcome=Outcome.PARTIAL,
        concluded=at(11, 12),
        agreement=(at(11, 12), Decimal("800.50"), True),
    )
    mediation(w, 3, opened=at(11, 4), urgent=True, outcome=Outcome.FAILED, concluded=at(11, 18))
    mediation(
        w,
        4,
        category="family",
        opened=at(11, 5),
        channel="grid",
        outcome=Outcome.REFUSED,
        concluded=at(11, 6),
    )
    # Opened in October, agreed in November; its October visit is not November's.
    mediation(
        w,
        5,
        opened=at(10, 20),
        outcome=agreed,
        concluded=at(11, 3),
        agreement=(at(11, 3), Decimal("300.00"), False),
    )
    mediation(w, 6, category="family", opened=at(11, 25))  # still open
    # Agreed on 2 December: in mediation at the end of November.
    mediation(
        w,
        7,
        opened=at(11, 28),
        outcome=agreed,
        concluded=at(12, 2),
        agreement=(at(12, 2), Decimal("999.00"), False),
    )
    # Committee B (community B): the street sees it, committee A's mediator does not.
    mediation(
        w,
        8,
        committee="b",
        opened=at(11, 10),
        outcome=agreed,
        concluded=at(11, 30, 23),
        agreement=(at(11, 30, 23), Decimal("100.00"), False),
        visit=None,
    )
    # Before and after the month: counted in neither.
    mediation(w, 9, opened=at(9, 1), outcome=Outcome.FAILED, concluded=at(10, 31, 23))
    return w  # fmt: skip


def test_the_monthly_report_counts_a_known_month(november):
    report = build_report(november.director, NOVEMBER)
    t = report.total
    assert t.received == 7  # 1, 2, 3, 4, 6, 7, 8
    assert t.found_in_field == 2  # 2 (screening), 4 (grid report)
    assert t.major == 1  # 3
    assert t.mediated == 5  # agreements 1, 2, 5, 8 and the failed 3
    assert t.succeeded == 4
    assert t.partial == 1
    assert t.success_rate == pytest.approx(0.8)
    assert t.not_mediated == 1  # 4 refused
    assert t.amount == Decimal("2400.50")  # 1200 + 800.50 + 300 + 100
    assert t.visits_done == 1 and t.visits_broken == 0
    assert t.pending_at_end == 2  # 6 open, 7 ended in December


def test_counts_by_type_add_up_to_the_total(november):
    report = build_report(november.director, NOVEMBER)
    by_type = {str(line.label): line.counts for line in report.by_type}
    assert by_type["邻里纠纷"].received == 5  # 1, 2, 3, 7, 8
    assert by_type["邻里纠纷"].success_rate == pytest.approx(4 / 5)
    assert by_type["婚姻家庭纠纷"].received == 2  # 4, 6
    assert by_type["婚姻家庭纠纷"].mediated == 0
    assert by_type["婚姻家庭纠纷"].success_rate is None
    # Every dispute type has a line, zeros included, as on the paper form.
    assert by_type["劳动争议"].received == 0
    assert sum(c.received for c in by_type.values()) == report.total.received
    committees = {str(line.label): line.counts for line in report.by_committee}
    assert committees[november.committee_a.name].succeeded == 3
    assert committees[november.committee_b.name].succeeded == 1


def test_a_committee_mediator_counts_only_what_they_may_see(november):
    total = build_report(november.mediator, NOVEMBER).total
    assert total.received == 6 and total.succeeded == 3 and total.mediated == 4
    assert total.amount == Decimal("2300.50")
    b = build_report(november.mediator_b, NOVEMBER)
    assert b.total.received == 1 and b.total.amount == Decimal("100.00")
    assert [str(line.label) for line in b.by_committee] == [november.committee_b.name]


def test_any_period_can_be_reported(november):
    first_half = build_report(november.director, Period(date(2026, 11, 1), date(2026, 11, 15)))
    assert first_half.total.received == 5  # 1, 2, 3, 4, 8
    assert first_half.total.succeeded == 3  # 1, 2, 5
    assert first_half.total.mediated == 3  # 3 failed on the 18th: second half
    december = build_report(november.director, Period(date(2026, 12, 1), date(2026, 12, 31)))
    assert december.total.received == 0 and december.total.succeeded == 1


def test_a_broken_agreement_found_later_does_not_rewrite_the_month(november):
    """The reopened mediation loses its outcome; November still counts the signed agreement."""
    Mediation.objects.filter(number="TJ-T-1").update(outcome="", concluded_at=None)
    assert build_report(november.director, NOVEMBER).total.succeeded == 4


def test_a_mediation_through_the_services_is_counted_this_month(mw):
    from django.utils import timezone

    agreement = signed(mw)
    report = build_report(mw.mediator, month_of(timezone.localdate()))
    assert report.total.succeeded == 1 and report.total.mediated == 1
    assert report.total.amount == agreement.amount


def test_half_months():
    assert half_month_of(date(2026, 11, 15)) == Period(date(2026, 11, 1), date(2026, 11, 15))
    assert half_month_of(date(2026, 2, 16)) == Period(date(2026, 2, 16), date(2026, 2, 28))
    assert last_half_month(date(2026, 11, 3)) == Period(date(2026, 10, 16), date(2026, 10, 31))
    assert last_half_month(date(2026, 11, 20)) == Period(date(2026, 11, 1), date(2026, 11, 15))


# --- pages and exports -------------------------------------------------------------------


def test_the_report_page_and_its_exports_carry_the_same_numbers(november, client_for):
    client = client_for(november.director)
    query = {"start": "2026-11-01", "end": "2026-11-30"}
    page = client.get("/mediation/reports/", query)
    assert page.status_code == 200
    assert "80.0%" in page.content.decode()  # the success rate
    assert "2,400.50" in page.content.decode()

    xlsx = client.get("/mediation/reports/export.xlsx", query)
    assert xlsx.status_code == 200
    sheet = load_workbook(BytesIO(xlsx.content))["By type"]
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "Total"]
    total = rows[0]
    assert total[1] == 7 and total[4] == 5 and total[5] == 4
    assert total[7] == pytest.approx(0.8)
    assert total[9] == pytest.approx(2400.50)

    pdf = client.get("/mediation/reports/export.pdf", {**query, "kind": HALF_MONTHLY})
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_words(pdf.content)
    assert "矛盾纠纷排查调处半月报" in text
    assert "邻里纠纷" in text and "80.0%" in text


def test_a_bad_period_is_refused_with_a_message(mw, client_for):
    response = client_for(mw.director).get(
        "/mediation/reports/", {"start": "2026-11-30", "end": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    # What was typed stays in the form.
    assert 'value="2026-11-30"' in response.content.decode()


def test_the_reports_are_for_mediation_and_the_leadership(mw, client_for):
    assert client_for(mw.desk).get("/mediation/reports/").status_code == 403
    assert client_for(mw.judicial_staff).get("/ledgers/disputes/").status_code == 404
    assert client_for(mw.mediator).get("/mediation/reports/").status_code == 200


def test_the_dispute_register_lists_the_months_disputes(november, client_for):
    client = client_for(november.director)
    query = {"start": "2026-11-01", "end": "2026-11-30"}
    page = client.get("/ledgers/disputes/", query)
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 7
    body = page.content.decode()
    assert "TJ-T-1" in body and "TJ-T-5" not in body and "申请人8" in body

    filtered = client.get("/ledgers/disputes/", {**query, "outcome": "open"})
    assert filtered.context["page"].paginator.count == 1  # 6

    xlsx = client.get("/ledgers/disputes/export.xlsx", query)
    sheet = load_workbook(BytesIO(b"".join(xlsx.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    header = values.index(next(r for r in values if r and r[0] == "Mediation number"))
    data = [r for r in values[header + 1 :] if r and r[0]]
    assert len(data) == 7
    first = data[0]
    assert first[0] == "TJ-T-1" and first[1] == datetime(2026, 11, 2)  # noqa: DTZ001 - Excel dates are naive
    assert first[12] == 1200
    assert sheet.cell(row=header + 2, column=2).number_format == "yyyy-mm-dd"

    pdf = client.get("/ledgers/disputes/export.pdf", query)
    text = pdf_words(pdf.content)
    assert "纠纷登记簿" in text and "申请人1" in text

    printed = client.get("/ledgers/disputes/print/", query)
    assert printed.status_code == 200 and printed.content.decode().count("TJ-T-") == 7


def test_another_committee_cannot_see_or_count_in_the_register(november, client_for):
    client = client_for(november.mediator_b)
    query = {"start": "2026-11-01", "end": "2026-11-30"}
    page = client.get("/ledgers/disputes/", query)
    assert page.context["page"].paginator.count == 1
    assert "TJ-T-1" not in page.content.decode()
    xlsx = client.get("/ledgers/disputes/export.xlsx", query)
    sheet = load_workbook(BytesIO(b"".join(xlsx.streaming_content))).active
    assert "TJ-T-1" not in {row[0] for row in sheet.iter_rows(values_only=True)}
    # Filtering by another community's committee is refused, not answered.
    other = client.get("/ledgers/disputes/", {**query, "committee": november.committee_a.pk})
    assert other.status_code == 400


def test_exports_neutralise_formulas_typed_by_residents(november, client_for):
    case = Mediation.objects.get(number="TJ-T-1").case
    case.title = '=HYPERLINK("http://x")'
    case.save(update_fields=["title"])
    xlsx = client_for(november.director).get(
        "/ledgers/disputes/export.xlsx", {"start": "2026-11-01", "end": "2026-11-30"}
    )
    sheet = load_workbook(BytesIO(b"".join(xlsx.streaming_content))).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if "HYPERLINK" in str(c)]
    assert cells == ['\'=HYPERLINK("http://x")']


def test_an_export_is_audited(november, client_for):
    from yimen.audit.models import Event

    client_for(november.director).get("/ledgers/disputes/export.xlsx")
    assert Event.objects.filter(action="ledgers.exported", object_id="disputes").exists()


def test_too_many_rows_to_print_says_so(november, client_for, monkeypatch):
    monkeypatch.setattr("yimen.ledgers.views.PRINT_LIMIT", 3)
    response = client_for(november.director).get(
        "/ledgers/disputes/export.pdf", {"start": "2026-11-01", "end": "2026-11-30"}
    )
    assert response.status_code == 400
    assert "7 rows is too many to print (at most 3)" in response.content.decode()
