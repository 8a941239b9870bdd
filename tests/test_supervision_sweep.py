"""The deadline sweep, with an injected 'today', across a weekend and the 2026 holidays.

The calendar table holds the real 2026 schedule: Mid-Autumn Festival Fri 9-25 to Sun 9-27,
National Day Thu 10-1 to Wed 10-7, and Saturday 10-10 a working day (调休). The sweep must
raise exactly the expected alerts, each once, whatever the number of cases.
"""

from datetime import date, timedelta
from io import StringIO
from itertools import count

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yimen.audit.models import Event
from yimen.audit.services import record
from yimen.cases import workflow as wf
from yimen.cases.models import Case, CaseEvent, Category, Status
from yimen.notices.models import Notification
from yimen.org.models import Role
from yimen.supervision import services
from yimen.supervision.models import AlertKind, DeadlineAlert, ProgressRequest, SweepRun
from yimen.supervision.sweep import run_sweep
from yimen.supervision.windows import current_window

from .factories import UserFactory

_numbers = count(1)
AP, DU, OV = AlertKind.APPROACHING, AlertKind.DUE, AlertKind.OVERDUE


def open_case(w, deadline, *, status=Status.IN_PROGRESS, unit=None, place=None, **fields):
    """A case as the workflow leaves it, made in one INSERT (the sweep only reads it)."""
    n = next(_numbers)
    values = {
        "receipt_number": f"YM-2026-{n:06d}",
        "tracking_code_hash": "x",
        "title": f"事项{n}",
        "description": "楼道堆物",
        "category": Category.objects.get(code="neighbour"),
        "channel": "visit",
        "jurisdiction": place or w.community_a,
        "received_at": timezone.now(),
        "status": status,
        "complexity": "complex",
        "lead_unit": unit or w.committee_a,
        "deadline": deadline,
        **fields,
    }
    return Case.objects.create(**values)


def alerts():
    return set(DeadlineAlert.objects.values_list("case_id", "kind", "deadline"))


# --- the window -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "until"),
    [
        (date(2026, 9, 30), date(2026, 10, 9)),  # 10-8, 10-9 after the National Day week
        (date(2026, 9, 24), date(2026, 9, 29)),  # 9-28, 9-29 after Mid-Autumn
        (date(2026, 10, 9), date(2026, 10, 12)),  # Saturday 10-10 works, Sunday 10-11 not
        (date(2026, 10, 16), date(2026, 10, 20)),  # an ordinary weekend
    ],
)
def test_approaching_counts_working_days(cases_world, today, until):
    window = current_window(today, days=2)
    assert window.approaching_until == until
    assert window.kind_of(today - timedelta(days=1)) == OV
    assert window.kind_of(today) == DU
    assert window.kind_of(until) == AP
    assert window.kind_of(until + timedelta(days=1)) is None


def test_no_notice_means_no_approaching(cases_world, settings):
    settings.YIMEN_REMIND_WORKING_DAYS_BEFORE = 0
    today = date(2026, 9, 30)
    case = open_case(cases_world, date(2026, 10, 8))
    assert current_window(today).approaching_until == today
    run_sweep(today)
    assert not DeadlineAlert.objects.filter(case=case).exists()


# --- raising alerts, once ---------------------------------------------------------------------


def test_sweep_raises_exactly_the_expected_alerts_once_across_the_national_day(cases_world):
    w = cases_world
    c = {
        day: open_case(w, date(2026, month, day))
        for month, day in [(9, 28), (9, 30), (10, 8), (10, 9), (10, 10), (10, 12)]
    }
    c_928, c_930, c_108, c_109, c_1010, c_1012 = (c[d] for d in (28, 30, 8, 9, 10, 12))
    never = [
        open_case(w, date(2026, 9, 29), status=status)
        for status in (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED, Status.TRANSFERRED_OUT)
    ]

    first = run_sweep(date(2026, 9, 30))  # Wednesday before the holiday
    assert (first.approaching, first.due, first.overdue) == (2, 1, 1)
    expected = {
        (c_928.pk, OV, date(2026, 9, 28)),
        (c_930.pk, DU, date(2026, 9, 30)),
        (c_108.pk, AP, date(2026, 10, 8)),
        (c_109.pk, AP, date(2026, 10, 9)),  # 9 calendar days away, 2 working days
    }
    assert alerts() == expected
    notifications = Notification.objects.count()
    assert notifications > 0

    second = run_sweep(date(2026, 9, 30))
    assert (second.approaching, second.due, second.overdue, second.notified) == (0, 0, 0, 0)
    assert alerts() == expected and Notification.objects.count() == notifications

    # Holidays pass without a sweep; Thursday 10-8 is the first working day after them.
    after = run_sweep(date(2026, 10, 8))
    assert (after.approaching, after.due, after.overdue) == (1, 1, 1)
    expected |= {
        (c_930.pk, OV, date(2026, 9, 30)),
        (c_108.pk, DU, date(2026, 10, 8)),
        (c_1010.pk, AP, date(2026, 10, 10)),  # the working Saturday, 2 working days ahead
    }
    assert alerts() == expected

    friday = run_sweep(date(2026, 10, 9))
    assert (friday.approaching, friday.due, friday.overdue) == (1, 1, 1)
    expected |= {
        (c_108.pk, OV, date(2026, 10, 8)),
        (c_109.pk, DU, date(2026, 10, 9)),
        (c_1012.pk, AP, date(2026, 10, 12)),  # over Sunday, after the working Saturday
    }
    assert alerts() == expected
    assert run_sweep(date(2026, 10, 9)).as_dict()["approaching"] == 0
    assert not DeadlineAlert.objects.filter(case__in=never).exists()


def test_a_weekend_widens_the_window_on_friday(cases_world):
    w = cases_world
    monday, tuesday, wednesday = (open_case(w, date(2026, 10, d)) for d in (19, 20, 21))
    result = run_sweep(date(2026, 10, 16))
    assert result.approaching == 2
    assert {pk for pk, _k, _d in alerts()} == {monday.pk, tuesday.pk}
    assert wednesday.pk not in {pk for pk, _k, _d in alerts()}


def test_an_extension_is_a_new_deadline_with_new_alerts(cases_world, monkeypatch):
    w = cases_world
    monkeypatch.setattr(wf, "_today", lambda: date(2026, 9, 14))
    case = wf.register_case(
        actor=w.desk,
        title="楼上漏水",
        description="楼上卫生间漏水。",
        category=Category.objects.get(code="neighbour"),
        channel="visit",
        jurisdiction=w.community_a,
        parties=[wf.NewParty("王芳", "applicant", "13812345678")],
    ).case
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    wf.accept_case(case, actor=w.mediator)
    assert case.deadline == date(2026, 9, 22)  # Sunday 9-20 is a working day (调休)

    run_sweep(date(2026, 9, 24))
    assert alerts() == {(case.pk, OV, date(2026, 9, 22))}
    request = wf.request_extension(
        case, actor=w.mediator, reason="需鉴定", new_deadline=date(2026, 9, 29)
    )
    wf.decide_extension(request, actor=w.supervisor, approve=True)

    assert run_sweep(date(2026, 9, 24)).approaching == 1
    assert alerts() == {(case.pk, OV, date(2026, 9, 22)), (case.pk, AP, date(2026, 9, 29))}
    assert run_sweep(date(2026, 9, 24)).approaching == 0


def test_a_reopened_case_is_alerted_again_for_its_new_deadline(cases_world):
    w = cases_world
    case = open_case(w, date(2026, 9, 30))
    run_sweep(date(2026, 9, 30))
    Case.objects.filter(pk=case.pk).update(status=Status.REOPENED, deadline=date(2026, 10, 9))
    assert run_sweep(date(2026, 9, 30)).approaching == 1


# --- who hears of it ---------------------------------------------------------------------------


def test_units_get_one_notification_per_kind_and_supervisors_hear_of_overdue(cases_world):
    w = cases_world
    overdue = [open_case(w, date(2026, 9, 28)) for _ in range(3)]
    due_police = open_case(w, date(2026, 9, 30), unit=w.police)
    b_overdue = open_case(w, date(2026, 9, 28), place=w.community_b, unit=w.committee_b)

    result = run_sweep(date(2026, 9, 30))
    assert (result.due, result.overdue) == (1, 4)

    mediator = Notification.objects.filter(recipient=w.mediator)
    assert list(mediator.values_list("kind", flat=True)) == ["overdue"]
    digest = mediator.get()
    assert digest.case is None and "3" in digest.message
    assert overdue[0].receipt_number in digest.message  # the first one is named

    police = Notification.objects.get(recipient=w.unit)
    assert police.kind == "deadline_due" and police.case_id == due_police.pk
    assert due_police.receipt_number in police.message

    # The street's director and supervisor hear of all four overdue cases, in one each.
    for user in (w.director, w.supervisor):
        note = Notification.objects.get(recipient=user)
        assert note.kind == "overdue" and "4" in note.message
    # Community B's mediator hears of their own case only; nobody else of B hears anything.
    assert Notification.objects.get(recipient=w.mediator_b).case_id == b_overdue.pk
    assert not Notification.objects.filter(recipient__in=[w.desk_b, w.desk, w.leader]).exists()


def test_a_supervisor_complained_about_does_not_hear_of_that_case(cases_world):
    w = cases_world
    open_case(w, date(2026, 9, 28), about_staff=w.supervisor, unit=w.police)
    run_sweep(date(2026, 9, 30))
    assert Notification.objects.filter(recipient=w.director).exists()
    assert not Notification.objects.filter(recipient=w.supervisor).exists()


def test_the_sweep_is_audited_once_per_run_that_raised_something(cases_world):
    open_case(cases_world, date(2026, 9, 28))
    run_sweep(date(2026, 9, 30))
    run_sweep(date(2026, 9, 30))
    event = Event.objects.get(action="supervision.sweep.raised")
    assert event.changes["overdue"] == 1
    assert SweepRun.objects.count() == 2
    assert SweepRun.objects.filter(overdue=1, finished_at__isnull=False).count() == 1


# --- progress reports -------------------------------------------------------------------------


def test_a_missing_progress_report_is_flagged_once(cases_world, monkeypatch):
    w = cases_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 10, 8))
    case = open_case(w, date(2026, 11, 30))
    supervision = services.list_for_supervision(
        case, actor=w.director, unit=w.committee_a, leader=w.leader,
        deadline=date(2026, 11, 20), reason="涉及多户，久拖未决",
    )  # fmt: skip
    request = services.request_progress_report(
        supervision, actor=w.supervisor, due_date=date(2026, 10, 9)
    )
    answered_case = open_case(w, date(2026, 11, 30))
    answered = services.list_for_supervision(
        answered_case, actor=w.director, unit=w.committee_a, leader=w.leader,
        deadline=date(2026, 11, 20), reason="重点",
    )  # fmt: skip
    services.request_progress_report(answered, actor=w.supervisor, due_date=date(2026, 10, 9))
    services.submit_progress_report(answered, actor=w.mediator, text="已约谈双方")
    Notification.objects.all().delete()

    assert run_sweep(date(2026, 10, 9)).progress_missing == 0  # due that day: not yet missing
    result = run_sweep(date(2026, 10, 12))
    assert result.progress_missing == 1
    request.refresh_from_db()
    assert request.flagged_at is not None and request.fulfilled_at is None
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"mediator", "leader", "supervisor"} <= recipients
    assert Notification.objects.filter(kind="progress_report_missing").count() == len(recipients)
    assert case.events.filter(action="progress_report_missing").count() == 1

    assert run_sweep(date(2026, 10, 13)).progress_missing == 0
    assert ProgressRequest.objects.filter(flagged_at__isnull=False).count() == 1


# --- cost -------------------------------------------------------------------------------------


def _cases_in_every_state(w, n):
    """n cases spread over overdue, due and approaching, in two units and two communities."""
    days = [date(2026, 9, 28), date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9)]
    for i in range(n):
        if i % 2:
            open_case(w, days[i % 4], unit=w.police)
        else:
            open_case(w, days[i % 4], place=w.community_b, unit=w.committee_b)


def _queries_of_one_sweep(today):
    with CaptureQueriesContext(connection) as queries:
        run_sweep(today)
    return len(queries)


@pytest.mark.parametrize("n", [5, 50])
def test_the_sweep_takes_a_fixed_number_of_queries(cases_world, django_assert_max_num_queries, n):
    _cases_in_every_state(cases_world, n)
    # Alerts and digests, then meeting tasks, report reminders, overdue rectifications,
    # archiving and the retention period: each a fixed handful of statements.
    with django_assert_max_num_queries(60):
        result = run_sweep(date(2026, 9, 30))
    assert result.approaching + result.due + result.overdue == n


def test_the_number_of_queries_does_not_grow_with_the_cases(cases_world):
    w = cases_world
    record("test.chain_started")  # the audit chain's first event creates its head row
    _cases_in_every_state(w, 5)
    few = _queries_of_one_sweep(date(2026, 9, 30))
    DeadlineAlert.objects.all().delete()
    _cases_in_every_state(w, 45)
    many = _queries_of_one_sweep(date(2026, 9, 30))
    assert DeadlineAlert.objects.count() == 50
    assert few == many


# --- the command -------------------------------------------------------------------------------


def test_sweep_command_prints_the_counts_and_is_idempotent(cases_world, settings):
    w = cases_world
    settings.YIMEN_ARCHIVE_AFTER_DAYS = 0
    wf.register_case(
        actor=w.desk, title="咨询", description="咨询低保材料",
        category=Category.objects.get(code="social"), channel="visit", jurisdiction=w.community_a,
        parties=[wf.NewParty("孙丽", "applicant")], settle_on_the_spot=True, result="当场解决",
    )  # fmt: skip
    open_case(w, date(2026, 9, 28))
    out = StringIO()
    call_command("sweep", "--today", "2026-09-30", stdout=out)
    call_command("sweep", "--today", "2026-09-30", stdout=out)
    first, second = out.getvalue().splitlines()
    assert first.startswith("sweep 2026-09-30: 0 approaching, 0 due today, 1 overdue, ")
    assert "1 cases archived" in first
    assert second.startswith("sweep 2026-09-30: 0 approaching, 0 due today, 0 overdue, ")
    assert "0 progress reports missing, 0 cases archived, 0 notifications" in second
    assert CaseEvent.objects.filter(action="archived").count() == 1


def test_the_director_of_another_street_is_not_told(cases_world):
    w = cases_world
    other_street = type(w.street).objects.create(
        code="S2", name="白沙街道", level="street", parent=w.district
    )
    stranger = UserFactory(username="director2", role=Role.DIRECTOR, jurisdiction=other_street)
    open_case(w, date(2026, 9, 28))
    run_sweep(date(2026, 9, 30))
    assert not Notification.objects.filter(recipient=stranger).exists()


def test_the_celery_task_runs_one_sweep(cases_world, monkeypatch):
    from yimen.supervision.tasks import sweep

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 9, 30))
    open_case(cases_world, date(2026, 9, 28))
    assert sweep.name == "supervision.sweep"
    result = sweep.apply().get()
    assert (result["today"], result["overdue"]) == ("2026-09-30", 1)
    assert sweep.apply().get()["overdue"] == 0


def test_two_sweeps_at_once_raise_each_alert_once(seeded_transactional_db, cases_world):
    """Both insert at the same moment; the unique (case, kind, deadline) keeps one of each, and
    each sweep notifies only for the rows it inserted itself."""
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    w = cases_world
    for day in (date(2026, 9, 28), date(2026, 9, 30), date(2026, 10, 9)):
        open_case(w, day)
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        try:
            barrier.wait()
            results.append(run_sweep(date(2026, 9, 30)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert DeadlineAlert.objects.count() == 3
    assert sum(r.approaching + r.due + r.overdue for r in results) == 3
    kinds = list(Notification.objects.filter(recipient=w.mediator).values_list("kind", flat=True))
    assert sorted(kinds) == ["deadline_approaching", "deadline_due", "overdue"]
