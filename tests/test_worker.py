"""The background worker for real: Celery worker processes on Redis and on the default
folder broker, killed mid-task and started again.

The worker is another process, so it gets its own SQLite file (``DATABASE_URL``) and the
tasks of ``tests/worker_tasks.py`` leave files in a temporary folder. Everything waits with
a time limit, and every worker started is killed in ``finally``.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).parent / "celery"
REDIS_URL = os.environ.get("YIMEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
# Messages a killed worker held go back to the queue after 3 s, checked every second.
FAST_RESTORE = {"visibility_timeout": 3, "unacked_restore_interval": 1,
                "unacked_restore_throttle": 1}  # fmt: skip


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.1)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


class Workers:
    """Starts ``celery -A yimen worker`` processes with one environment; kills them all."""

    def __init__(self, tmp: Path, broker_url: str | None, transport_options: dict):
        self.tmp = tmp
        self.db = tmp / "worker.sqlite3"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.db}",
            "YIMEN_VAR_DIR": str(tmp / "var"),
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(transport_options),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("CELERY_BROKER_URL", None)
        if broker_url:
            self.env["CELERY_BROKER_URL"] = broker_url
        self.processes: list[subprocess.Popen] = []
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "jobs", "-v0"],
            cwd=ROOT, env=self.env, timeout=60, check=True,
        )  # fmt: skip

    def start(self) -> subprocess.Popen:
        log = self.tmp / f"worker-{len(self.processes)}.log"
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [str(CELERY), "-A", "yimen", "worker", "--pool=solo", "-I", "tests.worker_tasks",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
             "-n", f"test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.processes.append(process)
        try:
            wait_for(lambda: "ready." in log.read_text(), 20, "the worker to start")
        except AssertionError:
            raise AssertionError(log.read_text()[-3000:]) from None
        return process

    def log(self) -> str:
        return "\n".join(p.read_text()[-2000:] for p in sorted(self.tmp.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)

    def failed_tasks(self) -> list[tuple[str, int, str]]:
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT task_name, tries, exception FROM jobs_failedtask").fetchall()


def producer(broker_url: str, transport_options: dict) -> Celery:
    app = Celery("test-producer", broker=broker_url, set_as_current=False)
    app.conf.broker_transport_options = transport_options
    return app


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({exc}): the worker tests need it")
    client.flushdb()
    return client


@pytest.fixture
def redis_workers(tmp_path) -> Iterator[tuple[Workers, Celery]]:
    client = redis_or_skip()
    workers = Workers(tmp_path, REDIS_URL, FAST_RESTORE)
    app = producer(REDIS_URL, FAST_RESTORE)
    try:
        yield workers, app
    finally:
        workers.stop_all()
        app.close()
        client.flushdb()
        client.close()


def test_a_task_whose_worker_is_killed_mid_task_completes_after_a_restart(redis_workers, tmp_path):
    workers, app = redis_workers
    first = workers.start()
    app.send_task("tests.wait_for_go", args=[str(tmp_path)])
    wait_for(lambda: lines(tmp_path / "started") == 1, 10, "the task to start")

    os.kill(first.pid, signal.SIGKILL)  # no warm shutdown: the message is never acknowledged
    first.wait(timeout=10)
    (tmp_path / "go").touch()
    assert lines(tmp_path / "done") == 0

    workers.start()
    try:
        wait_for(lambda: lines(tmp_path / "done") == 1, 20, "the task to complete")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{workers.log()}") from None
    assert lines(tmp_path / "started") == 2  # delivered again, run again, completed once


def test_a_task_that_keeps_failing_is_retried_then_recorded(redis_workers, tmp_path):
    workers, app = redis_workers
    workers.start()
    app.send_task("tests.always_fails", args=[str(tmp_path)])
    try:
        wait_for(lambda: workers.failed_tasks(), 20, "the failed task to be recorded")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{workers.log()}") from None
    assert lines(tmp_path / "tries") == 3  # the first try and max_retries=2 more
    [(name, tries, exception)] = workers.failed_tasks()
    assert name == "tests.always_fails" and tries == 3
    assert "RuntimeError: this task always fails" in exception


def test_the_default_setup_needs_no_service_a_folder_is_the_queue(tmp_path):
    """`make run`'s worker: the broker is a folder under var/ (kombu's filesystem transport)."""
    queue = tmp_path / "var" / "queue"
    options = {
        "data_folder_in": str(queue / "messages"),
        "data_folder_out": str(queue / "messages"),
        "control_folder": str(queue / "control"),
    }
    workers = Workers(tmp_path, None, {})
    app = producer("filesystem://", options)
    try:
        workers.start()
        (tmp_path / "go").touch()
        app.send_task("tests.wait_for_go", args=[str(tmp_path)])
        try:
            wait_for(lambda: lines(tmp_path / "done") == 1, 15, "the task to complete")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{workers.log()}") from None
    finally:
        workers.stop_all()
        app.close()
