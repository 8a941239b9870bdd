"""Staff accountability (责任追究): each measure on a month of cases built through the workflow.

The clock is frozen at each step, so every timeline entry has the time the story says. The
story runs in November 2026 (no public holidays: 7 working days from Mon 2 Nov is Wed 11
Nov) with a few steps in October and December for the period boundaries.
"""

from datetime import UTC, date, datetime
from io import BytesIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from openpyxl import load_workbook

from yimen.accountability.measures import MEASURES, Scope, rate, tally
from yimen.cases import workflow as wf
from yimen.cases.models import Category, Complexity, Satisfaction
from yimen.exports import safe_cell
from yimen.org.models import Role
from yimen.periods import Period, last_month, month_of, quarter_of

from .factories import UnitFactory, UserFactory

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
DECEMBER_3 = date(2026, 12, 3)


@pytest.fixture
def clock(monkeypatch):
    """``clock(2026, 11, 2, 9)``: from now on it is that local time (and that local day)."""
    state = SimpleNamespace(now=datetime(2026, 11, 2, 9, 0, tzinfo=TZ))

    def set_clock(*args) -> None:
        state.now = datetime(*args, tzinfo=TZ)

    monkeypatch.setattr(timezone, "now", lambda: state.now.astimezone(UTC))
    return set_clock


def register(w, *, category="neighbour", actor=None, **kwargs):
    values = {
        "title": "楼上漏水",
        "description": "楼上卫生间漏水到楼下。",
        "channel": "visit",
        "jurisdiction": w.community_a,
        "parties": [wf.NewParty("王芳", "applicant", "13812345678")],
    }
    values.update(kwargs)
    category = Category.objects.get(code=category)
    return wf.register_case(actor=actor or w.desk, category=category, **values).case


def route(w, case, unit, actor=None):
    wf.route_case(case, actor=actor or w.director, unit=unit, complexity=Complexity.GENERAL,
                  override_reason="按职责交办")  # fmt: skip
    case.refresh_from_db()
    return case


def accepted(w, clock, when, unit, staff, **kwargs):
    clock(*when)
    case = route(w, register(w, **kwargs), unit)
    wf.accept_case(case, actor=staff)
    return case


def resolve(clock, when, case, staff):
    clock(*when)
    case.refresh_from_db()
    wf.submit_result(case, actor=staff, result="已调解，双方达成一致。")


def close(w, clock, when, case):
    clock(*when)
    case.refresh_from_db()
    wf.close_case(case, actor=w.director)


@pytest.fixture
def story(cases_world, clock):
    """The cases of November 2026 (letters as in the module's tests), today 3 December."""
    w = cases_world
    s = SimpleNamespace(w=w)
    nov2 = (2026, 11, 2, 9, 0)

    # A: on time.  B: resolved 00:30 the day after its deadline (still the 11th in UTC).
    # C: resolved late on the deadline day itself, which is on time.
    s.a = accepted(w, clock, nov2, w.committee_a, w.mediator, title="A")
    assert s.a.deadline == date(2026, 11, 11)
    resolve(clock, (2026, 11, 5, 10, 0), s.a, w.mediator)
    s.b = accepted(w, clock, nov2, w.committee_a, w.mediator, title="B")
    resolve(clock, (2026, 11, 12, 0, 30), s.b, w.mediator)
    s.c = accepted(w, clock, nov2, w.committee_a, w.mediator, title="C")
    resolve(clock, (2026, 11, 11, 23, 30), s.c, w.mediator)

    # D: accepted by the police and never resolved.  E: assigned to them, never accepted.
    s.d = accepted(w, clock, nov2, w.police, w.unit, title="D", category="public_order")
    clock(*nov2)
    s.e = route(w, register(w, title="E", category="public_order"), w.police)

    # F: returned by the committee, then handled by the judicial office.
    clock(2026, 11, 3, 9, 0)
    s.f = route(w, register(w, title="F"), w.committee_a)
    clock(2026, 11, 3, 11, 0)
    wf.return_case(s.f, actor=w.mediator, reason="属司法所职责")
    clock(2026, 11, 4, 9, 0)
    s.f = route(w, s.f, w.judicial)
    wf.accept_case(s.f, actor=w.judicial_staff)
    resolve(clock, (2026, 11, 6, 9, 0), s.f, w.judicial_staff)

    # G: resolved in October, re-handling ordered on 4 Nov, resolved again on 6 Nov.
    s.g = accepted(w, clock, (2026, 10, 26, 9, 0), w.committee_a, w.mediator, title="G")
    resolve(clock, (2026, 10, 28, 9, 0), s.g, w.mediator)
    close(w, clock, (2026, 10, 29, 9, 0), s.g)
    clock(2026, 11, 4, 9, 0)
    s.g.refresh_from_db()
    wf.reopen_case(s.g, actor=w.supervisor, reason="结果未落实")
    resolve(clock, (2026, 11, 6, 10, 0), s.g, w.mediator)

    # H: dissatisfied follow-up that reopens; still open at the end of November.
    s.h = accepted(w, clock, nov2, w.committee_a, w.mediator, title="H")
    resolve(clock, (2026, 11, 5, 11, 0), s.h, w.mediator)
    close(w, clock, (2026, 11, 6, 9, 0), s.h)
    clock(2026, 11, 9, 9, 0)
    s.h.refresh_from_db()
    wf.follow_up(s.h, actor=w.desk, satisfaction=Satisfaction.DISSATISFIED, reopen=True,
                 comment="漏水仍未解决")  # fmt: skip
    s.h.refresh_from_db()
    assert s.h.deadline == date(2026, 11, 18)

    # I: dissatisfied, kept closed with a reason.  A: satisfied (not counted).
    s.i = accepted(w, clock, nov2, w.committee_a, w.mediator, title="I")
    resolve(clock, (2026, 11, 5, 12, 0), s.i, w.mediator)
    close(w, clock, (2026, 11, 6, 9, 0), s.i)
    clock(2026, 11, 10, 9, 0)
    s.i.refresh_from_db()
    wf.follow_up(s.i, actor=w.desk, satisfaction=Satisfaction.DISSATISFIED,
                 close_reason="诉求超出政策范围")  # fmt: skip
    close(w, clock, (2026, 11, 6, 9, 0), s.a)
    clock(2026, 11, 10, 10, 0)
    s.a.refresh_from_db()
    wf.follow_up(s.a, actor=w.desk, satisfaction=Satisfaction.SATISFIED)

    # J: a complaint about the police station.  K: about the mediator by name.
    clock(2026, 11, 10, 9, 0)
    s.j = register(w, title="J", category="staff_complaint", about_unit=w.police)
    clock(2026, 11, 11, 9, 0)
    s.k = register(w, title="K", category="staff_complaint", about_staff=w.mediator)

    # L: settled on the spot by the front desk.
    clock(2026, 11, 12, 9, 0)
    s.l = register(w, title="L", settle_on_the_spot=True, result="当场说明政策，群众认可。")

    # Boundaries: M resolved at the first instant of December (deadline 1 Dec, not overdue
    # on 30 Nov); N at the first instant of November; O at the last minute of October.
    s.m = accepted(w, clock, (2026, 11, 20, 9, 0), w.committee_a, w.mediator, title="M")
    resolve(clock, (2026, 12, 1, 0, 0), s.m, w.mediator)
    s.n = accepted(w, clock, (2026, 10, 26, 9, 0), w.committee_a, w.mediator, title="N")
    resolve(clock, (2026, 11, 1, 0, 0), s.n, w.mediator)
    s.o = accepted(w, clock, (2026, 10, 26, 9, 0), w.committee_a, w.mediator, title="O")
    resolve(clock, (2026, 10, 31, 23, 59), s.o, w.mediator)

    # P: community B, resolved late by its own committee; Q: a complaint about station B.
    s.p = accepted(w, clock, nov2, w.committee_b, w.mediator_b, title="P",
                   jurisdiction=w.community_b, actor=w.desk_b)  # fmt: skip
    resolve(clock, (2026, 11, 20, 9, 0), s.p, w.mediator_b)
    clock(2026, 11, 12, 9, 0)
    s.q = register(w, title="Q", category="staff_complaint", about_unit=w.station_b,
                   jurisdiction=w.community_b, actor=w.desk_b)  # fmt: skip

    clock(2026, 12, 3, 9, 0)
    s.supervisor_a = UserFactory(username="supervisor_a", role=Role.SUPERVISOR,
                                 jurisdiction=w.community_a)  # fmt: skip
    return s


def counts(tallies_part, pk):
    tally_of = tallies_part.get(pk)
    codes = [c for c in MEASURES]
    return {c: tally_of[c] for c in codes if tally_of[c]} if tally_of else {}


# --- each measure, exactly ------------------------------------------------------------------


def test_each_measure_for_the_units_in_november(story):
    w = story.w
    tallies = tally(Scope(w.director, NOVEMBER, DECEMBER_3))
    assert counts(tallies.units, w.committee_a.pk) == {
        "handled": 7,  # A B C G H I N (M is December's, O October's)
        "on_time": 6,  # all but B
        "resolved_late": 1,  # B
        "open_overdue": 1,  # H, reopened with a deadline of 18 Nov
        "overdue": 2,
        "returned": 1,  # F
        "reopened": 2,  # G (ordered) and H (after the follow-up)
        "dissatisfied": 2,  # H and I
        "complaints_staff": 1,  # K names the mediator
    }
    assert counts(tallies.units, w.police.pk) == {
        "open_overdue": 2,  # D accepted, E not
        "overdue": 2,
        "complaints_unit": 1,  # J
    }
    assert counts(tallies.units, w.judicial.pk) == {"handled": 1, "on_time": 1}
    assert counts(tallies.units, w.committee_b.pk) == {
        "handled": 1,
        "resolved_late": 1,
        "overdue": 1,
    }
    assert counts(tallies.units, w.station_b.pk) == {"complaints_unit": 1}
    assert w.station_a.pk not in tallies.units  # the desk's own unit led nothing
    assert tallies.units[w.committee_a.pk].on_time_rate == pytest.approx(6 / 7)


def test_each_measure_for_the_staff_in_november(story):
    w = story.w
    tallies = tally(Scope(w.director, NOVEMBER, DECEMBER_3))
    assert counts(tallies.people, w.mediator.pk) == {
        "handled": 7,
        "on_time": 6,
        "resolved_late": 1,
        "open_overdue": 1,  # H: accepted by the mediator
        "overdue": 2,
        "returned": 1,
        "reopened": 2,  # the results rejected were the mediator's
        "dissatisfied": 2,
        "complaints_staff": 1,
    }
    assert counts(tallies.people, w.unit.pk) == {"open_overdue": 1, "overdue": 1}  # D only
    assert counts(tallies.people, w.judicial_staff.pk) == {"handled": 1, "on_time": 1}
    assert counts(tallies.people, w.desk.pk) == {"handled": 1, "on_time": 1}  # L
    # Ordering re-handling, closing and following up are not counted against anyone.
    assert w.supervisor.pk not in tallies.people
    assert w.director.pk not in tallies.people


def test_period_boundaries_are_local_days(story):
    w = story.w
    october = tally(Scope(w.director, OCTOBER, DECEMBER_3))
    # G's first result (28 Oct) and O's (23:59 on 31 Oct); nothing was overdue then.
    assert counts(october.units, w.committee_a.pk) == {"handled": 2, "on_time": 2}
    one_day = tally(Scope(w.director, Period(date(2026, 12, 1), date(2026, 12, 1)), DECEMBER_3))
    assert counts(one_day.units, w.committee_a.pk)["handled"] == 1  # M, at 00:00 on 1 Dec
    first_day = tally(Scope(w.director, Period(date(2026, 11, 1), date(2026, 11, 1)), DECEMBER_3))
    assert counts(first_day.units, w.committee_a.pk) == {"handled": 1, "on_time": 1}  # N


def test_still_open_is_judged_on_the_last_day_or_today(story):
    w = story.w
    # On 17 Nov H's new deadline (18 Nov) had not passed; D and E's (11 Nov) had.
    mid = tally(Scope(w.director, Period(date(2026, 11, 1), date(2026, 11, 17)), DECEMBER_3))
    assert counts(mid.units, w.committee_a.pk).get("open_overdue", 0) == 0
    assert counts(mid.units, w.police.pk)["open_overdue"] == 2
    # A period still running is judged today: on 11 Nov nothing was overdue yet.
    running = tally(Scope(w.director, NOVEMBER, date(2026, 11, 11)))
    assert counts(running.units, w.police.pk).get("open_overdue", 0) == 0
    # A period not begun has nothing open in it.
    future = tally(Scope(w.director, Period(date(2027, 1, 1), date(2027, 1, 31)), DECEMBER_3))
    assert not future.units and not future.people


def test_a_case_settled_after_the_period_was_still_open_at_its_end(story, clock):
    w = story.w
    resolve(clock, (2026, 12, 2, 9, 0), story.d, w.unit)
    close(w, clock, (2026, 12, 2, 10, 0), story.d)
    november = tally(Scope(w.director, NOVEMBER, DECEMBER_3))
    assert counts(november.units, w.police.pk)["open_overdue"] == 2
    assert counts(november.people, w.unit.pk)["open_overdue"] == 1
    december = tally(Scope(w.director, month_of(DECEMBER_3), DECEMBER_3))
    assert counts(december.units, w.police.pk) == {
        "handled": 1,
        "resolved_late": 1,  # D
        "open_overdue": 1,  # E, never accepted
        "overdue": 2,
    }


def test_an_approved_extension_moves_the_deadline_in_force(cases_world, clock):
    w = cases_world
    extended = accepted(w, clock, (2026, 11, 2, 9, 0), w.committee_a, w.mediator)
    refused = accepted(w, clock, (2026, 11, 2, 9, 0), w.committee_a, w.mediator)
    clock(2026, 11, 9, 9, 0)
    for case, approve in ((extended, True), (refused, False)):
        request = wf.request_extension(
            case, actor=w.mediator, reason="需现场勘验", new_deadline=date(2026, 11, 20)
        )
        note = "" if approve else "理由不足"
        wf.decide_extension(request, actor=w.director, approve=approve, note=note)
    resolve(clock, (2026, 11, 16, 9, 0), extended, w.mediator)
    resolve(clock, (2026, 11, 16, 9, 0), refused, w.mediator)
    tallies = tally(Scope(w.director, NOVEMBER, DECEMBER_3))
    assert counts(tallies.units, w.committee_a.pk) == {
        "handled": 2,
        "on_time": 1,  # due 20 Nov after the extension
        "resolved_late": 1,  # still due 11 Nov
        "overdue": 1,
    }


def test_a_community_supervisor_counts_only_their_community(story):
    w = story.w
    tallies = tally(Scope(story.supervisor_a, NOVEMBER, DECEMBER_3))
    assert w.committee_b.pk not in tallies.units and w.station_b.pk not in tallies.units
    assert w.mediator_b.pk not in tallies.people
    assert counts(tallies.units, w.committee_a.pk)["handled"] == 7


def test_rates_never_divide_by_zero():
    assert rate(0, 0) is None
    assert rate(3, 4) == 0.75


def test_preset_periods():
    assert month_of(date(2026, 12, 15)) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert last_month(date(2026, 1, 10)) == Period(date(2025, 12, 1), date(2025, 12, 31))
    assert last_month(date(2026, 3, 31)) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert quarter_of(date(2026, 11, 3)) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_of(date(2026, 2, 1)) == Period(date(2026, 1, 1), date(2026, 3, 31))


# --- the page -----------------------------------------------------------------------------


def page_url(name="accountability:index", **params):
    params = {"start": "2026-11-01", "end": "2026-11-30", **params}
    return f"{reverse(name)}?{urlencode(params)}"


@pytest.mark.parametrize("who", ["director", "supervisor", "leader"])
def test_directors_supervisors_and_leaders_see_the_page(cases_world, client_for, who):
    response = client_for(getattr(cases_world, who)).get(reverse("accountability:index"))
    assert response.status_code == 200
    assert reverse("accountability:index") in response.content.decode()  # in the navigation


@pytest.mark.parametrize("who", ["desk", "desk_b", "mediator", "unit", "grid", "admin"])
def test_other_roles_are_refused(cases_world, client_for, who):
    client = client_for(getattr(cases_world, who))
    for name in ("accountability:index", "accountability:export"):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(page_url("accountability:cases", measure="handled")).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(db, client):
    for name in ("accountability:index", "accountability:export", "accountability:cases"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_default_period_is_this_month(story, client_for):
    response = client_for(story.w.director).get(reverse("accountability:index"))
    assert response.context["period"] == Period(date(2026, 12, 1), date(2026, 12, 31))
    body = response.content.decode()
    assert "2026-11-01" in body  # the "last month" preset


def test_an_inverted_period_is_an_error(cases_world, client_for):
    response = client_for(cases_world.director).get(page_url(start="2026-11-30", end="2026-11-01"))
    assert response.status_code == 400 and "end" in response.context["form"].errors


def _numbers(table):
    """(measure code, url, value) of every linked number of a table."""
    for row in [*table.rows, *([table.total] if table.total else [])]:
        for cell in row:
            if cell.url:
                yield cell.url, cell.value


def test_every_number_equals_the_list_behind_it(story, client_for):
    client = client_for(story.w.director)
    response = client.get(page_url())
    assert response.status_code == 200
    units, staff = response.context["units"], response.context["staff"]
    numbers = [*_numbers(units), *_numbers(staff)]
    assert len(numbers) > 20
    for url, value in numbers:
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["page"].paginator.count == value, url
        assert len(listed.context["page"].object_list) == value, url


def test_the_list_behind_a_number_shows_the_cases(story, client_for):
    w = story.w
    client = client_for(w.director)
    listed = client.get(page_url("accountability:cases", measure="overdue", unit=w.committee_a.pk))
    titles = [entry.case.title for entry in listed.context["page"].object_list]
    assert titles == ["B", "H"]  # resolved late, then still open
    returned = client.get(page_url("accountability:cases", measure="returned",
                                   staff=w.mediator.pk))  # fmt: skip
    assert "属司法所职责" in returned.content.decode()


def test_the_list_behind_a_number_is_scoped(story, client_for):
    w = story.w
    client = client_for(story.supervisor_a)
    other_unit = page_url("accountability:cases", measure="handled", unit=w.committee_b.pk)
    other_staff = page_url("accountability:cases", measure="handled", staff=w.mediator_b.pk)
    assert client.get(other_unit).status_code == 404
    assert client.get(other_staff).status_code == 404
    assert client.get(page_url("accountability:cases", measure="nonsense")).status_code == 404


def test_another_community_never_appears(story, client_for):
    w = story.w
    client = client_for(story.supervisor_a)
    body = client.get(page_url()).content.decode()
    assert w.committee_a.name in body and w.mediator.username in body
    for name in (w.committee_b.name, w.station_b.name, w.police.name, w.mediator_b.username):
        assert name not in body
    workbook = load_workbook(BytesIO(client.get(page_url("accountability:export")).content))
    cells = {str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row}
    assert w.committee_a.name in cells
    for name in (w.committee_b.name, w.station_b.name, w.police.name, w.mediator_b.username):
        assert name not in cells


def test_the_page_takes_the_same_queries_whatever_the_volume(story, clock, client_for):
    w = story.w
    client = client_for(w.director)
    client.get(page_url())  # the session and the calendar, once
    with CaptureQueriesContext(connection) as before:
        client.get(page_url())
    for n in range(5):
        case = accepted(w, clock, (2026, 11, 16, 9, 0), w.committee_a, w.mediator, title=f"R{n}")
        resolve(clock, (2026, 11, 27, 9, 0), case, w.mediator)
    clock(2026, 12, 3, 9, 0)
    with CaptureQueriesContext(connection) as after:
        response = client.get(page_url())
    assert response.context["units"].total[2].value == 7 + 1 + 1 + 5  # with judicial and B
    assert len(after) == len(before) <= 15


# --- the spreadsheet ----------------------------------------------------------------------


def test_the_export_is_a_real_workbook_in_chinese(story, client_for):
    w = story.w
    client = client_for(w.director)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(page_url("accountability:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    assert len(workbook.sheetnames) == 2
    units, staff = workbook.worksheets
    assert units.title == "单位"
    headers = [c.value for c in units[4]]
    assert headers[:2] == ["单位", "辖区"]  # translated labels, not msgids
    assert {"Unit", "Jurisdiction"}.isdisjoint(headers)
    # The period as real dates.
    start, end = units["B2"], units["D2"]
    assert start.is_date and isinstance(start.value, datetime)
    assert start.value.date() == date(2026, 11, 1) and end.value.date() == date(2026, 11, 30)
    assert start.number_format == "yyyy-mm-dd"
    # Numbers as numbers: the committee's row.
    row = next(
        r for r in units.iter_rows(min_row=5, values_only=True) if r[0] == w.committee_a.name
    )
    assert row[2:] == (7, 6, pytest.approx(6 / 7), 2, 1, 1, 1, 2, 2, 0, 1)
    rate_cell = next(c for c in units[5] if c.column == 5)
    assert rate_cell.number_format == "0.0%"
    mediator = next(r for r in staff.iter_rows(min_row=5, values_only=True) if r[1] == "mediator")
    assert mediator[5:] == (7, 6, pytest.approx(6 / 7), 2, 1, 1, 1, 2, 2, 1)


def test_the_export_in_english(story, client_for):
    client = client_for(story.w.director)
    client.cookies["django_language"] = "en"
    workbook = load_workbook(BytesIO(client.get(page_url("accountability:export")).content))
    assert [c.value for c in workbook.worksheets[0][4]][:3] == ["Unit", "Jurisdiction", "Handled"]


def test_user_text_cannot_become_a_formula_in_the_export(cases_world, client_for):
    UnitFactory(name='=HYPERLINK("http://evil.example","x")', jurisdiction=cases_world.street)
    workbook = load_workbook(
        BytesIO(client_for(cases_world.director).get(page_url("accountability:export")).content)
    )
    cells = [c for row in workbook.worksheets[0].iter_rows() for c in row]
    evil = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert len(evil) == 1
    assert evil[0].data_type == "s" and evil[0].value.startswith("'=")


@pytest.mark.parametrize("text", ["=1+1", "+31", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_defuses_formula_triggers(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", [None, 0, -5, 3.5, True, date(2026, 11, 1), datetime(2026, 11, 1, 9, 0, tzinfo=TZ)]
)
def test_safe_cell_keeps_numbers_and_dates(value):
    assert safe_cell(value) == value and type(safe_cell(value)) is type(value)


def test_safe_cell_keeps_ordinary_text():
    assert safe_cell("桂花社区工作站") == "桂花社区工作站"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell("") == ""
