"""The dashboard's figures against a known month, and every number against its list.

The month is November 2026 and today is Friday 2026-11-20. The cases are registered
through the workflow, then their dates and states are set straight in the table (setup:
the figures read rows, and each row's story is stated beside it).
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from yimen.cases.models import Category, FollowUp, Status
from yimen.dashboard import trends
from yimen.dashboard.figures import Scope, by_category, by_place, counts, rates, received, weekly
from yimen.periods import Period

from .case_support import case_as_of

TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
TODAY = date(2026, 11, 20)


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def at(month, day, hour=10, year=2026):
    return datetime(year, month, day, hour, tzinfo=TZ)


def case(w, label, *, place, category, received, status=Status.REGISTERED, deadline=None,
         resolved=None, address=""):  # fmt: skip
    return case_as_of(w, label, place=place, category=category, received=received,
                      registered={"address": address}, status=status, deadline=deadline,
                      resolved_at=resolved)  # fmt: skip


def follow_up(w, made, when, satisfaction):
    FollowUp.objects.create(case=made, by=w.director, at=when, satisfaction=satisfaction)


@pytest.fixture
def month(cases_world):
    w = cases_world
    S = Status
    w.c1 = case(
        w,
        "c1",
        place=w.grid_a1,
        category="neighbour",
        received=at(11, 2),
        status=S.IN_PROGRESS,
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
    )  # due soon (Monday)
    w.c3 = case(
        w,
        "c3",
        place=w.grid_b1,
        category="hazard",
        received=at(11, 17),
        status=S.IN_PROGRESS,
        deadline=date(2026, 12, 15),
    )  # open, not due soon
    w.c4 = case(
        w,
        "c4",
        place=w.grid_a1,
        category="family",
        received=at(11, 5),
        status=S.RESOLVED,
        deadline=date(2026, 11, 14),
        resolved=at(11, 12),
    )  # on time
    w.c5 = case(
        w,
        "c5",
        place=w.community_a,
        category="environment",
        received=at(10, 20),
        status=S.CLOSED,
        deadline=date(2026, 10, 30),
        resolved=at(11, 3),
    )  # late
    w.c6 = case(w, "c6", place=w.community_a, category="other", received=at(11, 18))  # open
    w.c7 = case(
        w,
        "c7",
        place=w.grid_a1,
        category="urban",
        received=at(11, 19),
        status=S.CLOSED,
        resolved=at(11, 19),
    )  # settled on the spot: no deadline
    follow_up(w, w.c4, at(11, 15), "satisfied")
    follow_up(w, w.c5, at(11, 6), "dissatisfied")
    follow_up(w, w.c7, at(11, 19, 15), "basically")
    follow_up(w, w.c5, at(10, 31), "satisfied")  # October: not this month's
    return w  # fmt: skip


def test_every_figure_of_the_known_month(month):
    scope = Scope.for_user(month.director, NOVEMBER, TODAY)
    numbers = counts(scope)
    assert numbers == {
        "open": 4,  # c1, c2, c3, c6
        "due_soon": 1,  # c2
        "overdue": 1,  # c1
        "received": 6,  # all but c5 (October)
        "this_week": 4,  # 16–22 November: c2, c3, c6, c7
        "last_week": 0,
        "resolved": 2,  # c4, c5 (c7 had no deadline)
        "on_time": 1,  # c4
        "followed_up": 3,  # c4, c5, c7
        "satisfied": 2,  # c4, c7
        "mediated": 0,
        "mediation_succeeded": 0,
    }
    by_code = {rate.code: rate for rate in rates(scope, numbers)}
    assert by_code["on_time"].value == pytest.approx(0.5)
    assert by_code["on_time"].meets_target is False
    assert by_code["satisfaction"].value == pytest.approx(2 / 3)
    assert by_code["satisfaction"].percent == "66.7%"
    assert by_code["mediation_success"].value is None  # nothing mediated: no rate, not 0 %
    assert by_code["mediation_success"].meets_target is None


def test_the_breakdowns_of_the_known_month(month):
    scope = Scope.for_user(month.director, NOVEMBER, TODAY)
    names = {c.pk: c.code for c in Category.objects.all()}
    per_category = {names[pk]: n for pk, n in by_category(received(scope)).items()}
    assert per_category == {"neighbour": 2, "hazard": 1, "family": 1, "other": 1, "urban": 1}
    per_place = by_place(received(scope))
    assert per_place == {month.grid_a1.pk: 3, month.community_a.pk: 2, month.grid_b1.pk: 1}
    weeks = dict(weekly(scope))
    assert weeks[Period(date(2026, 11, 16), date(2026, 11, 22))] == 4
    assert weeks[Period(date(2026, 11, 2), date(2026, 11, 8))] == 2  # c1, c4
    assert len(weeks) == 12 and sum(weeks.values()) == 7  # c5 on 20 October too


def test_the_targets_are_configurable(month, settings):
    settings.YIMEN_TARGETS = {**settings.YIMEN_TARGETS, "on_time": 0.5}
    scope = Scope.for_user(month.director, NOVEMBER, TODAY)
    on_time = next(r for r in rates(scope, counts(scope)) if r.code == "on_time")
    assert on_time.meets_target is True and on_time.target_percent == "50%"


def test_a_community_user_counts_only_their_community(month):
    numbers = counts(Scope.for_user(month.mediator, NOVEMBER, TODAY))
    assert numbers["open"] == 3 and numbers["received"] == 5  # no c3 (community B)
    b = counts(Scope.for_user(month.desk_b, NOVEMBER, TODAY))
    assert b["open"] == 1 and b["received"] == 1 and b["followed_up"] == 0


def test_mediation_figures_follow_the_monthly_report(mw):
    from yimen.mediation.reports import build_report

    from .mediation_support import signed

    signed(mw)
    today = timezone.localdate()
    period = Period(today.replace(day=1), today)
    scope = Scope.for_user(mw.mediator, period, today)
    numbers = counts(scope, ("mediated", "mediation_succeeded"))
    report = build_report(mw.mediator, period)
    assert numbers["mediated"] == report.total.mediated == 1
    assert numbers["mediation_succeeded"] == report.total.succeeded == 1


# --- trends --------------------------------------------------------------------------------


def test_periods_to_compare_with():
    assert trends.previous_period(NOVEMBER) == Period(date(2026, 10, 2), date(2026, 10, 31))
    assert trends.same_period_last_year(NOVEMBER) == Period(date(2025, 11, 1), date(2025, 11, 30))
    leap = Period(date(2028, 2, 1), date(2028, 2, 29))
    assert trends.same_period_last_year(leap) == Period(date(2027, 2, 1), date(2027, 2, 28))


def test_rises_and_falls_against_before_and_last_year(month):
    w = month
    case(w, "old1", place=w.grid_a1, category="neighbour", received=at(11, 3, year=2025))
    case(w, "old2", place=w.grid_a1, category="hazard", received=at(10, 10))
    case(w, "old3", place=w.grid_a1, category="hazard", received=at(10, 11))
    scope = Scope.for_user(w.director, NOVEMBER, TODAY)
    labels = {c.pk: c.code for c in Category.objects.all()}
    rows = {row.label: row for row in trends.by_category_changes(scope, labels)}
    assert (rows["neighbour"].now, rows["neighbour"].before, rows["neighbour"].last_year) == (
        2, 0, 1,
    )  # fmt: skip
    assert rows["hazard"].change == -1 and rows["hazard"].change_rate_text == "-50%"
    # Biggest rise first.
    assert trends.by_category_changes(scope, labels)[0].label == "neighbour"


def test_repeated_places(month, settings):
    w = month
    settings.YIMEN_HOTSPOT_MIN_REPEATS = 2
    for label in ("r1", "r2"):
        case(w, label, place=w.grid_a1, category="urban", received=at(11, 11),
             address=" 桂花路12号 ")  # fmt: skip
    case(w, "r3", place=w.grid_a1, category="urban", received=at(11, 11), address="桂花路14号")
    scope = Scope.for_user(w.director, NOVEMBER, TODAY)
    repeats = trends.repeated_by_address(scope)
    assert [(r.address, r.count) for r in repeats] == [("桂花路12号", 2)]
    behind = trends.at_address(received(scope), w.grid_a1.pk, "桂花路12号")
    assert behind.count() == 2


# --- pages ------------------------------------------------------------------------------------


def _numbers(html: str, element_id: str) -> int:
    block = re.search(rf'id="{element_id}"[^>]*>\s*<strong>(\d+)</strong>', html)
    return int(block.group(1))


def test_every_number_on_the_page_equals_the_list_behind_it(month, client_for):
    client = client_for(month.director)
    page = client.get("/dashboard/", {"start": "2026-11-01", "end": "2026-11-30"})
    assert page.status_code == 200
    html = page.content.decode()
    links = re.findall(r'href="(/dashboard/cases/\?[^"]+)"[^>]*>(?:<strong>)?(\d+)<', html)
    assert len(links) >= 12
    for url, number in links:
        listed = client.get(url.replace("&amp;", "&"))
        assert listed.status_code == 200, url
        assert listed.context["page"].paginator.count == int(number), url
    assert _numbers(html, "tile-received") == 6


def test_another_community_cannot_list_or_guess(month, client_for):
    client = client_for(month.desk_b)
    period = {"start": "2026-11-01", "end": "2026-11-30"}
    listed = client.get("/dashboard/cases/", {"figure": "received", **period})
    assert listed.context["page"].paginator.count == 1
    assert "c1" not in [c.title for c in listed.context["page"].object_list]
    # Naming another community's grid is a 404, as any other object of theirs.
    guess = client.get(
        "/dashboard/cases/", {"figure": "received", "place": month.grid_a1.pk, **period}
    )
    assert guess.status_code == 404
    assert client.get("/dashboard/cases/", {"figure": "nope"}).status_code == 404


def test_a_bad_period_is_refused_and_kept(month, client_for):
    response = client_for(month.director).get(
        "/dashboard/", {"start": "2026-11-30", "end": "2026-11-01"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The end date is before the start date." in body and 'value="2026-11-30"' in body


def test_the_trends_page_shows_hotspots_and_the_density_map(month, client_for):
    response = client_for(month.director).get(
        "/dashboard/trends/", {"start": "2026-11-01", "end": "2026-11-30"}
    )
    assert response.status_code == 200
    assert 'id="density-data"' in response.content.decode()
    places = {row.label: row.now for row, _links in response.context["places"]}
    assert places[month.grid_a1.name] == 3


def test_dashboard_needs_a_staff_login(client):
    assert client.get("/dashboard/").status_code == 302


def test_the_dashboard_shows_screening_coverage_against_its_target(month, client_for):
    page = client_for(month.director).get(
        "/dashboard/", {"start": "2026-11-01", "end": "2026-11-30"}
    )
    body = page.content.decode()
    assert 'id="rate-screening_coverage"' in body and "Target 98%" in body
