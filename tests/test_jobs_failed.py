"""Failed background tasks: recorded after the last try, listed for the top administrator,
sent again or dismissed from the page."""

import pytest
from celery import shared_task

from yimen.audit.models import Event
from yimen.jobs.models import FailedTask
from yimen.jobs.services import record_failure

RUNS: list[int] = []


@shared_task(name="tests.flaky", max_retries=1, retry_backoff=False, default_retry_delay=0)
def flaky(number: int) -> int:
    RUNS.append(number)
    if len(RUNS) <= 2:
        raise ValueError(f"failure {len(RUNS)}")
    return number


@pytest.fixture(autouse=True)
def _clear_runs():
    RUNS.clear()


def test_a_task_that_fails_every_try_is_recorded_once(db):
    flaky.apply(args=[7])
    assert RUNS == [7, 7]
    [failed] = FailedTask.objects.all()
    assert failed.task_name == "tests.flaky" and failed.args == [7] and failed.kwargs == {}
    assert failed.tries == 2 and failed.exception == "ValueError: failure 2"
    assert "ValueError" in failed.traceback and failed.resolved_at is None


def test_a_task_that_succeeds_on_a_retry_is_not_recorded(db):
    RUNS.append(0)  # one failure already used up
    flaky.apply(args=[7])
    assert not FailedTask.objects.exists()


def test_recording_never_raises(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(FailedTask.objects, "create", broken)
    assert record_failure(sender=flaky, task_id="x", exception=ValueError("y")) is None


def test_the_page_is_for_the_top_administrator_only(world, client_for):
    assert client_for(world.admin).get("/jobs/failed/").status_code == 200
    for user in (world.admin_b, world.director, world.desk, world.supervisor):
        assert client_for(user).get("/jobs/failed/").status_code == 403


def test_the_page_lists_open_failures_and_retries_one(world, client_for):
    flaky.apply(args=[7])
    failed = FailedTask.objects.get()
    client = client_for(world.admin)
    page = client.get("/jobs/failed/").content.decode()
    assert "tests.flaky" in page and "ValueError: failure 2" in page

    answer = client.post(f"/jobs/failed/{failed.pk}/retry/")
    assert answer.status_code == 302
    assert RUNS == [7, 7, 7]  # sent again, and this time it worked
    failed.refresh_from_db()
    assert failed.resolved_at and failed.resolved_by == world.admin
    assert failed.resolution == "retried"
    assert list(client.get("/jobs/failed/").context["page"].object_list) == []
    assert list(client.get("/jobs/failed/?all=1").context["page"].object_list) == [failed]
    assert Event.objects.filter(action="jobs.failed_task.retried").count() == 1

    # A second click (another tab, another administrator) sends nothing.
    client.post(f"/jobs/failed/{failed.pk}/retry/")
    assert RUNS == [7, 7, 7]


def test_dismissing_marks_it_handled_without_running_it(world, client_for):
    flaky.apply(args=[7])
    failed = FailedTask.objects.get()
    client_for(world.admin).post(f"/jobs/failed/{failed.pk}/dismiss/")
    failed.refresh_from_db()
    assert failed.resolution == "dismissed" and RUNS == [7, 7]
    assert Event.objects.filter(action="jobs.failed_task.dismissed").count() == 1


def test_retry_when_the_queue_is_down_changes_nothing(world, client_for, monkeypatch):
    flaky.apply(args=[7])
    failed = FailedTask.objects.get()

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(flaky, "apply_async", down)
    answer = client_for(world.admin).post(f"/jobs/failed/{failed.pk}/retry/", follow=True)
    [message] = answer.context["messages"]
    assert message.level_tag == "error"
    failed.refresh_from_db()
    assert failed.resolved_at is None


def test_retry_and_dismiss_need_a_post_and_the_permission(world, client_for):
    flaky.apply(args=[7])
    failed = FailedTask.objects.get()
    assert client_for(world.admin).get(f"/jobs/failed/{failed.pk}/retry/").status_code == 405
    assert client_for(world.admin_b).post(f"/jobs/failed/{failed.pk}/retry/").status_code == 403
    failed.refresh_from_db()
    assert failed.resolved_at is None
