"""A steady mixed load for ten minutes on loopback: errors, latency drift, memory growth.

    .venv/bin/python bench/soak.py --seconds 600

It sets up its own SQLite database in a temporary folder (migrate, demo township, an API
token and a staff session), starts the server (gunicorn with two sync workers, as in
production, or ``--server runserver``), and keeps four clients busy with what a
center sees all day: intake through the API, the case list, residents' tracking lookups
(from many addresses, as the public does), and an Open311 client polling for requests.
Meanwhile one address floods the tracking page, and the portal's rate limit must stop it
while everyone else is still served. Every 10 s it samples the resident memory of each
server process (the gunicorn master and its workers).

It prints, per operation, the count, errors, p50/p95 in the first and the last minute, the
memory at the start and the end, and the flood's outcome; the last line is
``errors=N requests=N p95_drift=N.NN rss_start_mb=N rss_end_mb=N flood_refused=N``.
Errors are 5xx answers and failed connections; a 4xx is an error only where the
operation never expects one (the flood's 429s are its success).
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    return parser.parse_args()


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip


SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from yimen.org.models import User
user = User.objects.get(username="desk")
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
print(s.session_key)
"""


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # a worker that just exited
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    """The server's process and its children (gunicorn's workers)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children += [int(child) for child in task.read_text().split()]
    return [pid, *children]


def server_command(args: argparse.Namespace, port: int) -> list[str]:
    if args.server == "runserver":
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    return [
        str(Path(sys.executable).parent / "gunicorn"), "yimen.wsgi",
        f"--bind=127.0.0.1:{port}", f"--workers={args.workers}", "--worker-class=sync",
    ]  # fmt: skip


class Load:
    def __init__(self, port: int, token: str, session: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.token, self.session = token, session
        self.samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.receipts: list[tuple[str, str]] = []
        self.n = 0

    def request(self, op: str, path: str, *, data=None, headers=None, expect=(200,)) -> int:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})  # noqa: S310
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, b""
        except OSError:
            status, body = 0, b""
        elapsed = time.perf_counter() - began
        with self.lock:
            self.samples[op].append((time.monotonic(), elapsed))
            if status == 0 or status >= 500 or status not in expect:
                self.errors[op] += 1
        self.last_body = body
        return status

    def intake(self) -> None:
        with self.lock:
            self.n += 1
            n = self.n
        body = json.dumps({"title": f"浸泡测试 {n}", "description": "路灯不亮。",
                           "category": "urban", "channel": "call",
                           "jurisdiction": "330102001001",
                           "parties": [{"name": "王芳", "phone": "13812345678",
                                        "role": "applicant"}]}).encode()  # fmt: skip
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                   "Idempotency-Key": f"soak-{n}"}  # fmt: skip
        self.request("intake", "/api/v1/cases", data=body, headers=headers, expect=(201,))

    def case_list(self) -> None:
        headers = {"Cookie": f"sessionid={self.session}"}
        self.request("list", "/cases/?status=open&page=2", headers=headers)

    def track(self) -> None:
        address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311
        self.request("track", "/track/?number=YM-2026-000001&code=WRONGCODE",
                     headers={"X-Real-IP": address}, expect=(404,))  # fmt: skip

    def open311(self) -> None:
        self.request("open311", "/open311/v2/requests.json")

    def flood(self, stop: threading.Event) -> tuple[int, int]:
        refused = served = 0
        while not stop.is_set():
            flooder = {"X-Real-IP": "203.0.113.9"}
            path = "/track/?number=YM-2026-000001&code=X"
            status = self.request("flood", path, headers=flooder, expect=(404, 429))
            refused += status == 429
            served += status == 404
            time.sleep(0.05)
        return refused, served


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="yimen-soak-"))
    env = {**os.environ, "YIMEN_VAR_DIR": str(work), "YIMEN_OTP_REQUIRED_ROLES": "",
           "YIMEN_API_RATE": "100000/min", "YIMEN_CLIENT_IP_HEADER": "X-Real-IP"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    manage(env, "migrate", "--noinput")
    manage(env, "demo")
    token = manage(env, "apitoken", "desk").strip()
    session = manage(env, "shell", "-c", SESSION).strip().splitlines()[-1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manage(env, "collectstatic", "--noinput")
    server = subprocess.Popen(  # noqa: S603 - our own server
        server_command(args, port), cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    load = Load(port, token, session)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    for _ in range(60):  # enough cases for a second page of the list
        load.intake()
    operations = [load.intake, load.case_list, load.track, load.open311]
    stop = threading.Event()
    memory: list[tuple[float, float]] = []  # (time, all processes' RSS in MB)
    largest: list[float] = []  # the largest single process at each sample

    def client() -> None:
        while not stop.is_set():
            random.choice(operations)()  # noqa: S311

    def sampler() -> None:
        while not stop.is_set():
            sizes = [rss_mb(pid) for pid in process_tree(server.pid)]
            memory.append((time.monotonic(), sum(sizes)))
            largest.append(max(sizes))
            stop.wait(10)

    flood_result: list[tuple[int, int]] = []
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    threads.append(threading.Thread(target=sampler))
    threads.append(threading.Thread(target=lambda: flood_result.append(load.flood(stop))))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    server.terminate()
    server.wait()

    end = began + args.seconds
    total = errors = 0
    drifts = []
    print(
        f"{'operation':<9} {'count':>7} {'errors':>6}  first-minute p50/p95   last-minute p50/p95"
    )
    for op, samples in sorted(load.samples.items()):
        first = [s for at, s in samples if at < began + 60]
        last = [s for at, s in samples if at >= end - 60]

        def p(values, q):
            return 1000 * sorted(values)[max(0, round(q * len(values)) - 1)] if values else 0.0

        total += len(samples)
        errors += load.errors[op]
        if op != "flood" and first and last:
            drifts.append(p(last, 0.95) / max(p(first, 0.95), 0.001))
        print(f"{op:<9} {len(samples):>7} {load.errors[op]:>6}  "
              f"{p(first, .5):7.1f} / {p(first, .95):7.1f} ms  "
              f"{p(last, .5):7.1f} / {p(last, .95):7.1f} ms")  # fmt: skip
    refused, served = flood_result[0] if flood_result else (0, 0)
    start_mb, end_mb = memory[0][1], memory[-1][1]
    per_minute = [round(m) for t, m in memory if int(t - began) % 60 < 10]
    print(
        f"server: {args.server}"
        + (f", {args.workers} workers" if args.server == "gunicorn" else "")
    )
    print(f"memory of all server processes each minute (MB): {per_minute}")
    print(f"memory: {start_mb:.0f} MB at the start, {end_mb:.0f} MB at the end, "
          f"peak {max(m for _t, m in memory):.0f} MB ({len(memory)} samples); "
          f"largest single process at its peak {max(largest):.0f} MB")  # fmt: skip
    print(f"flood from one address: {refused} refused (429), {served} served before the limit")
    print(
        f"reproduce: .venv/bin/python bench/soak.py --seconds {args.seconds} --server {args.server}"
    )
    drift = max(drifts, default=0)
    print(
        f"errors={errors} requests={total} p95_drift={drift:.2f} rss_start_mb={start_mb:.0f} "
        f"rss_end_mb={end_mb:.0f} flood_refused={refused}"
    )


if __name__ == "__main__":
    main()
