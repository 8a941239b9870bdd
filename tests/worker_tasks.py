"""Tasks only the worker tests load (``celery worker -I tests.worker_tasks``).

They leave their traces as files in a folder the test names, so the test can watch a worker
in another process without sharing its database.
"""

import time
from pathlib import Path

from celery import shared_task


def _append(path: Path, line: str) -> None:
    with path.open("a") as f:
        f.write(line + "\n")


@shared_task(name="tests.wait_for_go")
def wait_for_go(folder: str) -> str:
    """Note the start, wait (at most 30 s) for the test to create ``go``, then note the end."""
    base = Path(folder)
    _append(base / "started", "started")
    deadline = time.monotonic() + 30
    while not (base / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("no go file")
        time.sleep(0.05)
    _append(base / "done", "done")
    return "done"


@shared_task(name="tests.always_fails", max_retries=2, retry_backoff=False, default_retry_delay=0)
def always_fails(folder: str) -> None:
    _append(Path(folder) / "tries", "try")
    raise RuntimeError("this task always fails")
