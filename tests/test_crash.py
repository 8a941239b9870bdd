"""A power cut in the middle of intake: nothing acknowledged is lost, nothing is doubled.

The test starts the real server on a file database, sends a burst of case creations
through the API from four threads, kills the server with SIGKILL in the middle, starts it
again, and retries every request with its Idempotency-Key. Then every request that was
answered 201 (before or after the kill) has its case and its timeline, the keys made no
duplicates, and ``verify_audit`` finds the hash chain intact.

It runs the server on SQLite whatever the suite's database: the point is the server
process dying, and a server of its own keeps the suite's database out of it.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
BURST = 60
TITLE = "断电测试"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=300,
    )  # fmt: skip
    return result.stdout


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)  # noqa: S310
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("the server did not start")


def _create(port: int, token: str, n: int) -> tuple[int, int | None]:
    """POST one case with key ``crash-n``: (status, case id); status 0 when the line died."""
    body = json.dumps({
        "title": f"{TITLE} {n}", "description": "楼道堆物，影响通行。", "category": "environment",
        "channel": "call", "jurisdiction": "330102001001",
        "parties": [{"name": "王芳", "phone": "13812345678", "role": "applicant"}],
    }).encode()  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://127.0.0.1:{port}/api/v1/cases", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": f"crash-{n}"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())["id"]
    except urllib.error.HTTPError as error:
        return error.code, None
    except OSError:
        return 0, None


def _get(port: int, token: str, path: str) -> tuple[int, object]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")
def test_a_killed_server_loses_no_acknowledged_case(tmp_path):
    env = {**os.environ, "YIMEN_VAR_DIR": str(tmp_path), "YIMEN_OTP_REQUIRED_ROLES": "",
           "YIMEN_API_RATE": "100000/min", "CELERY_TASK_ALWAYS_EAGER": "1"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    _manage(env, "migrate", "--noinput")
    _manage(env, "demo")
    token = _manage(env, "apitoken", "desk").strip()
    port = _free_port()
    server = _start(env, port)

    answered: dict[int, tuple[int, int | None]] = {}
    lock = threading.Lock()

    def sender(numbers: range) -> None:
        for n in numbers:
            result = _create(port, token, n)
            with lock:
                answered[n] = result
            time.sleep(0.02)  # a steady stream, so the cut falls in the middle of it

    threads = [threading.Thread(target=sender, args=(range(k, BURST, 4),)) for k in range(4)]
    for thread in threads:
        thread.start()
    while sum(1 for status, _case in list(answered.values()) if status == 201) < BURST // 4:
        time.sleep(0.005)
    os.kill(server.pid, signal.SIGKILL)  # the power cut
    server.wait()
    for thread in threads:
        thread.join()
    killed = True
    acknowledged = {n: case for n, (status, case) in answered.items() if status == 201}
    assert killed and 0 < len(acknowledged) < BURST

    server = _start(env, port)
    try:
        retried = {n: _create(port, token, n) for n in range(BURST)}  # every key, again
        for n, case_id in acknowledged.items():
            status, again = retried[n]
            assert status == 200 and again == case_id, (n, status)  # replayed, not redone
        assert all(status in (200, 201) for status, _case in retried.values())
        ids = {case for _status, case in retried.values()}
        assert len(ids) == BURST  # one case per key, none doubled
        for case_id in acknowledged.values():
            status, timeline = _get(port, token, f"/api/v1/cases/{case_id}/timeline")
            assert status == 200 and timeline["items"], case_id
        status, listing = _get(port, token, f"/api/v1/cases?q={quote(TITLE)}&limit=100")
        assert status == 200 and listing["count"] == BURST
    finally:
        server.kill()
        server.wait()
    verdict = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
