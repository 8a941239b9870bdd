"""The dashboard's roll-up: the rule for one case, kept exact through the workflow, rebuilt
the same, and answering exactly what the live queries answer.

A figure from the roll-up is compared with the same figure counted live (the scope with the
roll-up switched off): a number on the dashboard must equal the list it links to.
"""

import dataclasses
import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yimen.cases import merging
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category, Complexity, Status
from yimen.dashboard import rollups
from yimen.dashboard.figures import (
    FIGURES,
    ROLLED_UP,
    Scope,
    by_category,
    by_place,
    counts,
    received_in,
    weekly,
)
from yimen.dashboard.models import CountedAs, DailyCount, DailyPlace
from yimen.dashboard.rollups import RESOLVED_STATES, Counted, counted
from yimen.org.models import Level, Role, User
from yimen.periods import Period, month_of

from .case_support import case_as_of
from .factories import JurisdictionFactory, UserFactory

TZ = ZoneInfo("Asia/Shanghai")


def at(month, day, hour=10, minute=0, year=2026):
    """A moment given in local time, in UTC as the database gives it back."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


# --- the rule -------------------------------------------------------------------------------


def test_a_case_counts_as_received_on_its_local_day():
    # 00:30 in Shanghai is still 31 October in UTC: the local day is the one counted.
    assert counted(Status.REGISTERED, at(11, 1, 0, 30), None, None, 7, 3) == Counted(
        7, 3, received_on=date(2026, 11, 1)
    )
    assert counted(Status.IN_PROGRESS, at(11, 1, 23, 59), None, date(2026, 11, 3), 7, 3) == (
        Counted(7, 3, received_on=date(2026, 11, 1))
    )


def test_a_report_merged_into_another_case_is_not_received():
    assert counted(Status.MERGED, at(11, 1), None, None, 7, 3) == Counted(7, 3)


@pytest.mark.parametrize("status", RESOLVED_STATES)
def test_a_case_counts_as_resolved_in_a_resolved_state_with_a_deadline(status):
    made = counted(status, at(11, 1), at(11, 5), date(2026, 11, 10), 7, 3)
    assert made == Counted(7, 3, date(2026, 11, 1), date(2026, 11, 5), on_time=True)


@pytest.mark.parametrize(
    ("status", "resolved_at", "deadline"),
    [
        (Status.IN_PROGRESS, at(11, 5), date(2026, 11, 10)),  # reopened, the date not cleared
        (Status.REOPENED, at(11, 5), date(2026, 11, 10)),
        (Status.TRANSFERRED_OUT, at(11, 5), date(2026, 11, 10)),
        (Status.CLOSED, at(11, 5), None),  # settled on the spot: no deadline
        (Status.CLOSED, None, date(2026, 11, 10)),
    ],
)
def test_otherwise_it_is_not_counted_as_resolved(status, resolved_at, deadline):
    assert counted(status, at(11, 1), resolved_at, deadline, 7, 3).resolved_on is None


def test_on_time_is_the_local_day_against_the_deadline():
    deadline = date(2026, 11, 10)
    late_evening = counted(Status.CLOSED, at(11, 1), at(11, 10, 23, 59), deadline, 7, 3)
    # 00:10 on the 11th in Shanghai is still the 10th in UTC: late all the same.
    past_midnight = counted(Status.CLOSED, at(11, 1), at(11, 11, 0, 10), deadline, 7, 3)
    assert (late_evening.resolved_on, late_evening.on_time) == (date(2026, 11, 10), True)
    assert (past_midnight.resolved_on, past_midnight.on_time) == (date(2026, 11, 11), False)


def test_what_a_case_adds_and_takes_away():
    made = Counted(7, 3, date(2026, 11, 1), date(2026, 11, 5), on_time=True)
    assert dict(made.rows(1)) == {
        (date(2026, 11, 1), 7, 3): (1, 0, 0),
        (date(2026, 11, 5), 7, 3): (0, 1, 1),
    }
    assert dict(Counted(7, 3, date(2026, 11, 1)).rows(-1)) == {
        (date(2026, 11, 1), 7, 3): (-1, 0, 0)
    }


# --- the story: real steps, then every figure as each viewer sees it -------------------------


def register(w, title, *, desk=None, place=None, category="neighbour", **extra):
    return wf.register_case(
        actor=desk or w.desk, title=title, description=title,
        category=Category.objects.get(code=category), channel="visit",
        jurisdiction=place or w.community_a,
        parties=[wf.NewParty("王芳", "applicant", "13812345678")], **extra,
    ).case  # fmt: skip


def handled(w, case, *, desk=None):
    """Routed to the community's committee, accepted and acted on."""
    committee, mediator = (w.committee_b, w.mediator_b) if desk == w.desk_b else (
        w.committee_a, w.mediator
    )  # fmt: skip
    wf.route_case(case, actor=w.director, unit=committee, complexity=Complexity.GENERAL,
                  override_reason="test")  # fmt: skip
    wf.accept_case(case, actor=mediator)
    wf.record_action(case, actor=mediator, kind="call", note="电话联系")
    return mediator


def moved(case, w, **fields):
    """Fields set by a queryset update, then a timeline entry, as a system step would."""
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    wf.record_case_event(case, "noted", w.director, note="改动")


@pytest.fixture
def story(cases_world):
    w = cases_world
    now = timezone.now()
    # Resolved on time, closed, followed up, reopened and resolved again.
    a = register(w, "a")
    mediator = handled(w, a)
    wf.submit_result(a, actor=mediator, result="已调解")
    wf.close_case(a, actor=w.director)
    wf.follow_up(a, actor=w.desk, satisfaction="satisfied")
    wf.reopen_case(a, actor=w.supervisor, reason="结果不实")
    wf.record_action(a, actor=mediator, kind="visit", note="再次走访")
    wf.submit_result(a, actor=mediator, result="已重新调解")
    # Resolved late: the deadline moved back by a bare update, picked up by the next step.
    b = register(w, "b", category="family")
    mediator = handled(w, b)
    Case.objects.filter(pk=b.pk).update(deadline=timezone.localdate() - timedelta(days=2))
    b.refresh_from_db()
    wf.submit_result(b, actor=mediator, result="已调解")
    # Received last month and resolved there, by a queryset update followed by an event.
    c = register(w, "c", place=w.grid_a1)
    month_ago = timezone.localdate() - timedelta(days=30)
    moved(c, w, received_at=now - timedelta(days=40), status=Status.RESOLVED,
          resolved_at=now - timedelta(days=35), deadline=month_ago)  # fmt: skip
    # Re-categorised and moved to a grid: by a save, and by an update and an event.
    d = register(w, "d", category="other")
    d.category = Category.objects.get(code="hazard")
    d.save(update_fields=["category"])
    moved(d, w, category=Category.objects.get(code="urban"), jurisdiction=w.grid_a1)
    # In community B.
    e = register(w, "e", desk=w.desk_b, place=w.community_b)
    mediator_b = handled(w, e, desk=w.desk_b)
    wf.submit_result(e, actor=mediator_b, result="已调解")
    register(w, "f", desk=w.desk_b, place=w.grid_b1, category="hazard")
    # Merged and left merged; merged and the merge undone.
    g = register(w, "g")
    merging.merge_case(g, into=a, actor=w.desk)
    h = register(w, "h", category="family")
    merge = merging.merge_case(h, into=b, actor=w.desk)
    merging.undo_merge(merge, actor=w.desk)
    # Complaints: about the mediator, and about community A's workstation (the desk's unit).
    register(w, "i", category="staff_complaint", about_staff=w.mediator)
    j = register(w, "j", category="staff_complaint", about_unit=w.station_a)
    moved(j, w, status=Status.CLOSED, resolved_at=now, deadline=timezone.localdate())
    # Transferred out; closed long ago and archived by the sweep (whose events send no signal).
    k = register(w, "k")
    handled(w, k)
    wf.transfer_out(k, actor=w.director, to_body="区法院", note_for_resident="请到区法院")
    old = case_as_of(w, "old", place=w.community_a, category="neighbour",
                     received=now - timedelta(days=400), status=Status.CLOSED,
                     resolved_at=now - timedelta(days=390), closed_at=now - timedelta(days=390),
                     deadline=(now - timedelta(days=380)).date())  # fmt: skip
    assert wf.archive_closed(now) >= 1
    old.refresh_from_db()
    assert old.status == Status.ARCHIVED
    # Deleted (as the benchmarks delete the cases their intake made).
    Case.objects.filter(pk=register(w, "gone", category="hazard").pk).delete()
    return w


def assert_rolled_up_as_live(scope):
    live = dataclasses.replace(scope, countable=None)
    assert counts(scope) == counts(live)
    assert counts(live) == {code: figure.cases(scope).count() for code, figure in FIGURES.items()}
    for period in (scope.period, scope.this_week, scope.last_week):
        assert by_category(received_in(scope, period)) == by_category(received_in(live, period))
        assert by_place(received_in(scope, period)) == by_place(received_in(live, period))
    assert weekly(scope) == weekly(live)


def periods():
    today = timezone.localdate()
    month = month_of(today)
    return today, [month, month_of(month.start - timedelta(days=1)),
                   Period(today - timedelta(days=500), today)]  # fmt: skip


VIEWERS = ("director", "supervisor", "desk", "desk_b", "mediator", "unit", "judicial_staff")


def test_every_figure_from_the_roll_up_equals_the_live_count(story):
    today, spans = periods()
    for name in VIEWERS:
        user = getattr(story, name)
        for period in spans:
            scope = Scope.for_user(user, period, today)
            # Handling units' staff are counted live; everyone else from the roll-up.
            assert (scope.countable is None) == (name in ("unit", "judicial_staff")), name
            assert_rolled_up_as_live(scope)
    for period in spans:
        assert_rolled_up_as_live(Scope.center(period, today))


def test_the_figures_are_not_trivial(story):
    """The story reaches every rolled-up figure, and recusal changes what is counted."""
    today, (month, _before, wide) = periods()
    director = counts(Scope.for_user(story.director, wide, today), tuple(ROLLED_UP))
    assert director["received"] >= 8 and director["resolved"] >= 4
    assert 0 < director["on_time"] < director["resolved"]
    center = counts(Scope.center(wide, today), ("received",))["received"]
    mediator = counts(Scope.for_user(story.mediator, wide, today), ("received",))["received"]
    desk = counts(Scope.for_user(story.desk, wide, today), ("received",))["received"]
    desk_b = counts(Scope.for_user(story.desk_b, wide, today), ("received",))["received"]
    assert center == director["received"]  # the street is the whole center here
    # The mediator and the desk are each recused from one complaint in community A.
    assert mediator == desk == center - desk_b - 1


def tables():
    """Every row of the three tables (those at zero left out: a rebuild writes none)."""
    days = DailyCount.objects.exclude(received=0, resolved=0, on_time=0)
    return (
        sorted(days.values_list("jurisdiction", "day", "category", *rollups.COUNTS)),
        sorted(DailyPlace.objects.exclude(received=0).values_list("jurisdiction", "day",
                                                                   "received")),
        sorted(CountedAs.objects.values_list("case", "jurisdiction", "category", *rollups.KEPT)),
    )  # fmt: skip


def test_a_rebuild_writes_the_same_tables(story):
    kept = tables()
    assert kept[0] and kept[1] and len(kept[2]) == Case.objects.count()
    assert rollups.rebuild() == (Case.objects.count(), len(kept[0]))
    assert tables() == kept


def test_a_case_counts_at_its_place_and_every_node_above(cases_world):
    w = cases_world
    made = register(w, "grid", place=w.grid_a1, category="hazard")
    day = rollups.local_day(made.received_at)
    rows = DailyCount.objects.filter(day=day, category__code="hazard")
    assert sorted(rows.values_list("jurisdiction", "received")) == sorted(
        (node.pk, 1) for node in (w.grid_a1, w.community_a, w.street, w.district)
    )
    assert list(DailyPlace.objects.values_list("jurisdiction", "received")) == [(w.grid_a1.pk, 1)]


def test_a_move_in_the_tree_moves_what_its_cases_add(story):
    """Community B goes to another street: its cases leave the first street's figures and
    join the second's, the district's stay, and a new case there counts under the new tree."""
    w = story
    street_2 = JurisdictionFactory(
        code="S2", name="白沙街道", level=Level.STREET, parent=w.district
    )
    director_2 = UserFactory(username="director_2", role=Role.DIRECTOR, jurisdiction=street_2)
    w.community_b.parent = street_2
    w.community_b.save()
    grid_b1 = type(w.grid_b1).objects.get(pk=w.grid_b1.pk)  # its path moved with the tree
    register(w, "after", desk=User.objects.get(pk=w.desk_b.pk), place=grid_b1)
    today, spans = periods()
    for user in (w.director, director_2, w.top_leader, w.desk_b, w.desk):
        for period in spans:
            assert_rolled_up_as_live(Scope.for_user(User.objects.get(pk=user.pk), period, today))
    moved = counts(Scope.for_user(director_2, spans[-1], today), ("received",))["received"]
    assert moved == 3  # e, f and the one registered after the move
    kept = tables()
    rollups.rebuild()
    assert tables() == kept


def test_cases_loaded_without_signals_are_counted_by_a_rebuild_or_a_sync(story):
    """A bulk load writes cases and no roll-up: the rebuild counts them, and so does a sync
    of a case with no ``CountedAs`` row yet."""
    today, (_month, _before, wide) = periods()
    scope = Scope.for_user(story.director, wide, today)
    expected = counts(scope)

    def wipe():
        for model in (CountedAs, DailyCount, DailyPlace):
            model.objects.all().delete()

    wipe()
    assert counts(scope)["received"] == 0
    rollups.sync(Case.objects.values_list("pk", flat=True))
    assert counts(scope) == expected
    wipe()
    rollups.rebuild()
    assert counts(scope) == expected
    assert_rolled_up_as_live(scope)


def test_the_sql_rule_of_a_rebuild_is_the_python_rule(cases_world):
    """Cases on the edges of each rule: the rebuild's SELECT counts them as ``counted`` does."""
    w = cases_world
    edges = [
        {"status": Status.MERGED},
        {"status": Status.CLOSED, "deadline": date(2026, 11, 10),
         "resolved_at": at(11, 10, 23, 59)},  # on time, in the last minute
        {"status": Status.ARCHIVED, "deadline": date(2026, 11, 10),
         "resolved_at": at(11, 11, 0, 10)},  # late, though the 10th in UTC
        {"status": Status.RESOLVED, "deadline": None, "resolved_at": at(11, 5)},
        {"status": Status.IN_PROGRESS, "deadline": date(2026, 11, 10),
         "resolved_at": at(11, 5)},
        {"status": Status.CLOSED, "deadline": date(2026, 11, 10), "resolved_at": None},
    ]  # fmt: skip
    made = [
        case_as_of(w, f"edge{i}", place=w.community_a, category="neighbour",
                   received=at(11, 1, 0, 5), **fields)
        for i, fields in enumerate(edges)
    ]  # fmt: skip
    columns = ("case", "jurisdiction", "category", *rollups.KEPT)
    synced = sorted(CountedAs.objects.filter(case__in=made).values_list(*columns))
    rollups.rebuild()
    assert sorted(CountedAs.objects.filter(case__in=made).values_list(*columns)) == synced
    by_case = {row[0]: row for row in synced}
    assert by_case[made[0].pk][3] is None  # merged: not received
    assert by_case[made[1].pk][3:] == (date(2026, 11, 1), date(2026, 11, 10), True)
    assert by_case[made[2].pk][4:] == (date(2026, 11, 11), False)
    assert [by_case[c.pk][4] for c in made[3:]] == [None, None, None]


# --- what it costs ------------------------------------------------------------------------


def test_an_intake_costs_the_roll_up_four_queries(cases_world):
    register(cases_world, "warm-up")
    with CaptureQueriesContext(connection) as captured:
        register(cases_world, "counted")
    touching = [q["sql"] for q in captured.captured_queries if "dashboard_" in q["sql"]]
    # The rows of the day (up the tree, and of the place) and the case's CountedAs row
    # written; then the "registered" event's check, which finds nothing to change.
    assert len(touching) == 4, touching


def test_the_rolled_up_figures_cost_two_queries_however_many_cases(cases_world):
    w = cases_world
    today, (month, *_rest) = periods()
    for i in range(3):
        register(w, f"n{i}", category=("neighbour", "family", "hazard")[i])
    scope = Scope.for_user(w.director, month, today)
    with CaptureQueriesContext(connection) as captured:
        numbers = counts(scope, tuple(ROLLED_UP))
    assert numbers["received"] == 3 and len(captured.captured_queries) == 2
    with CaptureQueriesContext(connection) as captured:
        weekly(scope)
        by_category(received_in(scope, month))
    assert len(captured.captured_queries) == 4


# --- two transactions on one case (PostgreSQL) ---------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
def test_a_sync_that_waits_for_another_transaction_counts_what_it_committed(
    seeded_transactional_db, cases_world
):
    """The second transaction's statement begins before the first commits and waits for the
    case's lock; it must then compare against the first one's ``CountedAs`` row, not the one
    it would have seen when it began (or the case is counted twice)."""
    w = cases_world
    case = register(w, "contended")
    hazard = Category.objects.get(code="hazard")
    changed, done = threading.Event(), threading.Event()
    release = threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                Case.objects.filter(pk=case.pk).update(category=hazard, jurisdiction=w.grid_a1)
                rollups.sync([case.pk])
                changed.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():
                rollups.sync([case.pk])
            done.set()
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert changed.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)
    assert not done.is_set()  # waiting for the case's lock
    release.set()
    one.join(10)
    two.join(10)
    assert done.is_set()
    today = timezone.localdate()
    assert_rolled_up_as_live(Scope.for_user(w.director, month_of(today), today))
    rows = DailyCount.objects.filter(day=today, received__gt=0)
    assert sorted(rows.values_list("jurisdiction", "category", "received")) == sorted(
        (node.pk, hazard.pk, 1) for node in (w.grid_a1, w.community_a, w.street, w.district)
    )  # once, and nothing left under the neighbour dispute it was
    assert list(DailyPlace.objects.exclude(received=0).values_list("jurisdiction", "received")) == [
        (w.grid_a1.pk, 1)
    ]
