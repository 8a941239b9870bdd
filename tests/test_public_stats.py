"""/stats/: the center's totals for the public — exact numbers, never a single case."""

from datetime import date, datetime, time, timedelta

from django.test import Client
from django.utils import timezone, translation

from yimen.cases.models import Case, Category, Channel, FollowUp, Satisfaction, Status
from yimen.dashboard.rollups import sync
from yimen.portal.forms import category_label
from yimen.portal.stats import center_statistics

from . import portal_support as support

fresh_cache, resident = support.fresh_cache, support.resident

TODAY = date(2026, 6, 15)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def make_case(w, n, category, received, **fields):
    return Case.objects.create(
        receipt_number=f"YM-TEST-{n:06d}",
        tracking_code_hash="x" * 64,
        title=f"保密标题{n}",
        description="保密内容",
        category=Category.objects.get(code=category),
        channel=Channel.ONLINE,
        jurisdiction=w.community_a,
        received_at=at(received),
        **fields,
    )


def known_set(w):
    """Eight matters over the year (one older), six resolved with a deadline, five follow-ups."""
    resolved = {"status": Status.CLOSED}
    cases = [
        # received this month: 3 neighbour disputes
        make_case(w, 1, "neighbour", date(2026, 6, 1), **resolved, deadline=date(2026, 6, 10),
                  resolved_at=at(date(2026, 6, 10), 23)),  # on time, late in the day
        make_case(w, 2, "neighbour", date(2026, 6, 2), **resolved, deadline=date(2026, 6, 10),
                  resolved_at=at(date(2026, 6, 11), 9)),  # late
        make_case(w, 3, "neighbour", date(2026, 6, 3)),
        # last month: 2 hazards
        make_case(w, 4, "hazard", date(2026, 5, 20), **resolved, deadline=date(2026, 6, 1),
                  resolved_at=at(date(2026, 5, 28))),  # on time
        make_case(w, 5, "hazard", date(2026, 5, 21), status=Status.RESOLVED,
                  deadline=date(2026, 6, 1), resolved_at=at(date(2026, 6, 2))),  # late
        # July last year (the first of the 12 months): 1 family dispute
        make_case(w, 6, "family", date(2025, 7, 1), status=Status.ARCHIVED,
                  deadline=date(2025, 7, 10), resolved_at=at(date(2025, 7, 9))),  # on time
        # June last year: outside the 12 months
        make_case(w, 7, "family", date(2025, 6, 30), **resolved, deadline=date(2025, 7, 10),
                  resolved_at=at(date(2025, 7, 1))),  # on time, resolved inside the period
        # resolved without a deadline (settled on the spot): no on-time count
        make_case(w, 8, "other", date(2026, 4, 5), **resolved, resolved_at=at(date(2026, 4, 5))),
    ]  # fmt: skip
    for case, satisfaction in zip(
        cases,
        [Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY,
         Satisfaction.DISSATISFIED, Satisfaction.SATISFIED],
        strict=False,
    ):  # fmt: skip
        FollowUp.objects.create(
            case=case, by=w.desk, at=at(date(2026, 6, 12)), satisfaction=satisfaction
        )
    FollowUp.objects.create(  # a year and a half ago: outside the period
        case=cases[6], by=None, by_resident=True, at=at(date(2024, 12, 1)), satisfaction="satisfied"
    )
    return cases


def test_the_numbers_are_exact_on_a_known_set(cases_world):
    known_set(cases_world)
    with translation.override("zh-hans"):
        stats = center_statistics(category_label, today=TODAY)
    assert (stats.since, stats.until) == (date(2025, 7, 1), TODAY)
    assert stats.total == 7
    counts = {str(row.label): row.count for row in stats.by_category}
    assert counts["邻里纠纷"] == 3
    assert counts["安全隐患"] == 2
    assert counts["婚姻家庭纠纷"] == 1
    assert counts["其他事项"] == 1
    assert sum(counts.values()) == 7
    months = [(row.label, row.count) for row in stats.by_month]
    assert len(months) == 12
    assert months[0] == (date(2025, 7, 1), 1)
    assert months[-1] == (date(2026, 6, 1), 3)
    assert dict(months)[date(2026, 5, 1)] == 2
    assert dict(months)[date(2026, 4, 1)] == 1
    assert sum(count for _month, count in months) == 7
    # On time: cases 1, 4, 6, 7 of the six resolved with a deadline (1, 2, 4, 5, 6, 7).
    assert (stats.on_time.numerator, stats.on_time.denominator) == (4, 6)
    assert stats.on_time.shown and stats.on_time.percent == 66.7
    # Satisfied or basically: 4 of the 5 follow-ups in the period.
    assert (stats.satisfaction.numerator, stats.satisfaction.denominator) == (4, 5)
    assert stats.satisfaction.percent == 80.0
    neighbour = next(r for r in stats.by_category if str(r.label) == "邻里纠纷")
    assert neighbour.share == 100


def test_the_page_shows_totals_and_never_a_case(cases_world, resident):
    cases = known_set(cases_world)
    for case in cases:  # move everything into the current period
        Case.objects.filter(pk=case.pk).update(received_at=timezone.now() - timedelta(days=1))
    sync([case.pk for case in cases])  # a write past the workflow: the roll-up is told
    FollowUp.objects.update(at=timezone.now() - timedelta(days=1))
    response = resident.get("/stats/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong data-value>8</strong>" in html
    assert "Neighbour dispute" in html
    for case in cases:
        assert case.receipt_number not in html
        assert case.title not in html
    assert "保密内容" not in html
    assert "/cases/" not in html


def test_rates_on_too_few_matters_are_not_published(cases_world, resident, settings):
    settings.YIMEN_PUBLIC_STATS_MIN_COUNT = 5
    w = cases_world
    now = timezone.localdate()
    case = make_case(w, 1, "neighbour", now, status=Status.CLOSED, deadline=now,
                     resolved_at=timezone.now())  # fmt: skip
    FollowUp.objects.create(case=case, by=w.desk, at=timezone.now(), satisfaction="dissatisfied")
    stats = center_statistics(category_label)
    assert not stats.on_time.shown and not stats.satisfaction.shown
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/stats/").content.decode()
    assert "Shown from 5 matters on." in html
    assert "0.0%" not in html and "100.0%" not in html


def test_an_empty_center_shows_zeros(cases_world, resident):
    stats = center_statistics(category_label)
    assert stats.total == 0
    assert all(row.count == 0 and row.share == 0 for row in stats.by_month)
    assert resident.get("/stats/").status_code == 200


def test_the_statistics_take_a_handful_of_queries(
    cases_world, resident, django_assert_max_num_queries
):
    known_set(cases_world)
    with django_assert_max_num_queries(8):
        resident.get("/stats/")
