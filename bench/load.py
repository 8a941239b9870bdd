"""Hot pages and intake under concurrent load, against gunicorn on a generated database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_scale_bench \\
        .venv/bin/python bench/load.py --workers 2 --clients 2 --seconds 20 --intake-seconds 60

It reads a database made by ``bench/generate.py`` (the name must contain "bench"), makes
an API token for the demo desk and staff sessions for the demo director and desk (no
second factor: the server runs with ``YIMEN_OTP_REQUIRED_ROLES=""``), and starts gunicorn
with ``--workers`` sync workers (as in production: one request per worker at a time, no
keep-alive), its access log writing each request's own time (``%(D)s``, from the request
read to the response written). Then, one page after the other, ``--clients`` threads on
loopback request it for ``--seconds`` after a warm-up:

- the case list filtered by unit + open + overdue (page 1 and its last page), and the
  unit's whole list at a deep page (offset 50,000);
- case pages (a different case each time, from a random sample);
- "my work" (the inbox) of the desk and of the director;
- full-text searches (``/cases/?q=…``) as the director;
- the dashboard and the supervisor's desk as the director;

then intake through the API (``POST /api/v1/cases``, a new ``Idempotency-Key`` each) for
``--intake-seconds`` with ``--intake-clients`` threads (the cases it makes are deleted at
the end, so a second run finds the same data; the sweep's alerts stay). It prints, per
operation, the requests, errors, server time (gunicorn's) and client time (loopback)
p50 / p95 / p99, the workers' peak resident memory (``VmHWM``), then times the sweep in this
process (first, same day again, next day). The last line is ``key=value`` figures.
"""

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from sweep_bench import setup_django  # noqa: E402

SEARCHES = ["漏水", "物业 电梯", "宅基地", "调解协议", "路灯", "拖欠工资"]
LOAD_TITLE = "负载测试"  # the cases intake makes here, deleted at the end


def delete_load_cases() -> int:
    """The cases registered by the benchmarks' intake, so the next run finds the same data."""
    from yimen.cases.models import Case

    return Case.objects.filter(title__startswith=LOAD_TITLE).delete()[1].get("cases.Case", 0)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients per page")
    parser.add_argument("--seconds", type=float, default=20, help="per page, after a warm-up")
    parser.add_argument("--intake-seconds", type=float, default=60)
    parser.add_argument("--intake-clients", type=int, default=4)
    parser.add_argument("--only", help="comma-separated operations to run (default: all)")
    parser.add_argument("--no-sweep", action="store_true", help="skip timing the sweep")
    parser.add_argument(
        "--export", action="store_true", help="also export last month's intake register (.xlsx)"
    )
    return parser.parse_args()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in name:
        sys.exit("Set DATABASE_URL to a PostgreSQL bench database made by bench/generate.py.")
    return url


def session_for(username: str) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from yimen.org.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def targets() -> dict:
    """What the pages are asked for: the busiest unit, a sample of cases, a month."""
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from yimen.cases.models import Case
    from yimen.cases.workflow import OPEN

    unit = (
        Case.objects.filter(status__in=OPEN, deadline__lt=timezone.localdate())
        .values("lead_unit")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["lead_unit"]
    )
    overdue = Case.objects.filter(lead_unit=unit, status__in=OPEN,
                                  deadline__lt=timezone.localdate()).count()  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_case TABLESAMPLE SYSTEM (1) LIMIT 500")
        cases = [row[0] for row in cursor.fetchall()]
    return {"unit": unit, "overdue": overdue, "cases": cases, "total": Case.objects.count()}


def deep_key(unit: int, offset: int = 50_000) -> str:
    """The ``after=`` key that shows the unit's whole list (as the director sees it) from
    row ``offset`` on: the page a person reaches by "Next" a thousand times (a list counts
    and numbers only its first 10,000 rows, then goes on by key)."""
    from django.utils import timezone

    from yimen.cases.filters import filter_cases
    from yimen.cases.models import Case
    from yimen.cases.paging import NEWEST_FIRST, Key
    from yimen.org.models import User

    director = User.objects.get(username="director")
    cases, _form = filter_cases(Case.objects.for_user(director), {"unit": str(unit)},
                                user=director, today=timezone.localdate())  # fmt: skip
    total = cases.count()
    row = cases.order_by(*NEWEST_FIRST)[min(offset, total) - 1]
    return str(Key.of(row))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with an access log of each request's own time, tagged by operation."""

    def __init__(self, workers: int, env: dict[str, str], folder: Path, *,
                 gunicorn: Path | None = None, app: str = "yimen.wsgi",
                 cwd: Path = BASE_DIR) -> None:  # fmt: skip
        """Yimen by default; ``gunicorn``, ``app`` and ``cwd`` start a peer the same way."""
        self.port = free_port()
        self.log = folder / "access.log"
        command = [
            str(gunicorn or Path(sys.executable).parent / "gunicorn"), app,
            f"--bind=127.0.0.1:{self.port}", f"--workers={workers}", "--worker-class=sync",
            "--timeout=120", f"--access-logfile={self.log}",
            "--access-logformat=%({x-bench}i)s %(s)s %(D)s",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - our own server
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
            stderr=open(folder / "error.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        for _ in range(150):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start; see its error log")

    def workers(self) -> list[int]:
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            found += [int(pid) for pid in task.read_text().split()]
        return found

    def server_times(self, tag: str) -> list[float]:
        """Milliseconds per request of one operation, from the access log."""
        return self.all_server_times().get(tag, [])

    def all_server_times(self) -> dict[str, list[float]]:
        """Milliseconds per request of every operation, by its tag."""
        times: dict[str, list[float]] = {}
        for line in self.log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3:
                times.setdefault(parts[0], []).append(int(parts[2]) / 1000)
        return times

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def memory_kb(pid: int, field: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) if found else 0


class Client:
    """One keep-alive HTTP connection on loopback (sync workers close it after each answer;
    ``http.client`` then opens a new one, as a browser would)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple:
        began = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            status, content = 0, b""
        return status, (time.perf_counter() - began) * 1000, content


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run_steps(port: int, tag: str, make_steps, *, clients: int, seconds: float,
              warmup: int = 2) -> dict:  # fmt: skip
    """``clients`` threads sending the requests of ``make_steps(n)`` for ``seconds``.

    An operation may be several requests one after the other (the peer's page shell and its
    data request): its client time is theirs together. ``make_steps(n)`` gives
    ``[(method, path, body, headers, ok, subtag), …]``; a request is logged under
    ``tag.subtag``, or ``tag`` without a subtag."""
    client = Client(port)
    for n in range(warmup):
        for method, path, body, headers, _ok, _sub in make_steps(-1 - n):
            client.request(method, path, body, {**headers, "X-Bench": "warmup"})
    times: list[float] = []
    errors: list[int] = []
    counter = iter(range(10**9))
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        own = Client(port)
        while time.perf_counter() < stop:
            with lock:
                n = next(counter)
            total, failed = 0.0, None
            for method, path, body, headers, ok, sub in make_steps(n):
                status, ms, _content = own.request(
                    method, path, body, {**headers, "X-Bench": f"{tag}.{sub}" if sub else tag}
                )
                total += ms
                if status not in ok:
                    failed = status
                    break
            with lock:
                times.append(total)
                if failed is not None:
                    errors.append(failed)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"client": times, "errors": errors, "seconds": time.perf_counter() - began}


def run_operation(port: int, tag: str, make_request, *, clients: int, seconds: float,
                  warmup: int = 2) -> dict:  # fmt: skip
    """``run_steps`` for an operation of one request: ``make_request(n)`` gives
    ``(method, path, body, headers, ok)``."""
    return run_steps(port, tag, lambda n: [(*make_request(n), None)], clients=clients,
                     seconds=seconds, warmup=warmup)  # fmt: skip


def export_register(port: int, session: str) -> tuple[str, dict]:
    """The intake register of about 100,000 cases as .xlsx, once, the whole streamed file
    read: the days up to the end of last month that hold the newest 100,000 of them."""
    from django.utils import timezone

    from yimen.cases.models import Case
    from yimen.periods import Period, last_month

    end = last_month(timezone.localdate()).end
    before = Case.objects.filter(received_at__date__lte=end).order_by("-received_at")
    start = timezone.localtime(before.values_list("received_at", flat=True)[99_999]).date()
    period = Period(start, end)
    received = Case.objects.filter(received_at__date__range=(period.start, period.end)).count()
    query = "&".join(f"{k}={v}" for k, v in period.params().items())
    client = Client(port)
    headers = {"Cookie": f"sessionid={session}", "X-Bench": "export"}
    status, ms, content = client.request("GET", f"/ledgers/intake/export.xlsx?{query}", None,
                                         headers)  # fmt: skip
    label = f"export: intake register {period} ({received:,} cases, {len(content) / 1e6:.1f} MB)"
    return label, {
        "client": [ms],
        "errors": [] if status == 200 else [status],
        "seconds": ms / 1000,
    }


def timed_sweeps() -> list[tuple[str, float, int]]:
    from django.utils import timezone

    from yimen.supervision.sweep import run_sweep

    today = timezone.localdate()
    results = []
    for label, day in (("first", today), ("again", today), ("next day", today + timedelta(days=1))):
        began = time.perf_counter()
        result = run_sweep(day)
        seconds = time.perf_counter() - began
        raised = result.approaching + result.due + result.overdue
        results.append((label, seconds, raised))
        print(f"  sweep {label:<9} {day}  {seconds:6.2f} s  {raised:>8,} alerts, "
              f"{result.notified:,} notifications, {result.archived:,} archived")  # fmt: skip
    return results


def main() -> None:  # noqa: C901 - one run, step by step
    args = parse_args()
    url = database_url()
    os.environ["YIMEN_OTP_REQUIRED_ROLES"] = ""
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from yimen.org.models import Unit

    command = (
        f"DATABASE_URL={url} .venv/bin/python bench/load.py --workers {args.workers} "
        f"--clients {args.clients} --seconds {args.seconds:g} "
        f"--intake-seconds {args.intake_seconds:g} --intake-clients {args.intake_clients}"
        + (f" --only {args.only}" if args.only else "")
        + (" --export" if args.export else "")
        + (" --no-sweep" if args.no_sweep else "")
    )
    print(f"reproduce: {command}")
    found = targets()
    if found["total"] < 1000:
        sys.exit("bench/load.py: generate cases first (bench/generate.py)")
    unit = Unit.objects.get(pk=found["unit"])
    print(f"{found['total']:,} cases; unit filtered on: {unit.name} ({found['overdue']:,} "
          f"open and overdue); {len(found['cases'])} sampled case pages")  # fmt: skip
    director, desk = session_for("director"), session_for("desk")
    token_out = tempfile.SpooledTemporaryFile(mode="w+")
    call_command("apitoken", "desk", "--name", "bench/load.py", stdout=token_out)
    token_out.seek(0)
    token = token_out.read().strip()
    connection.close()

    folder = Path(tempfile.mkdtemp(prefix="yimen-load-"))
    # The server's own var folder (its logs, static files), but the same keys as the data:
    # the parties' numbers were sealed with this install's data key.
    env = {**os.environ, "DATABASE_URL": url, "YIMEN_VAR_DIR": str(folder),
           "SECRET_KEY": settings.SECRET_KEY, "YIMEN_DATA_KEY": settings.YIMEN_DATA_KEY,
           "YIMEN_OTP_REQUIRED_ROLES": "", "YIMEN_API_RATE": "1000000/min"}  # fmt: skip
    server = Server(args.workers, env, folder)
    print(f"gunicorn: {args.workers} sync workers, pids {server.workers()}; clients: "
          f"{args.clients} threads on loopback, {args.seconds:g} s per page")  # fmt: skip

    def page(path: str, session: str):  # noqa: ANN202
        cookie = {"Cookie": f"sessionid={session}"}
        return lambda n: ("GET", path, None, cookie, (200,))

    last = max(1, -(-found["overdue"] // 50))
    filtered = f"/cases/?unit={unit.pk}&status=open&overdue=1"
    cases = found["cases"]

    def case_page(n: int):  # noqa: ANN202
        return ("GET", f"/cases/{cases[n % len(cases)]}/", None,
                {"Cookie": f"sessionid={director}"}, (200,))  # fmt: skip

    def search(n: int):  # noqa: ANN202
        q = quote(SEARCHES[n % len(SEARCHES)])
        return ("GET", f"/cases/?q={q}", None, {"Cookie": f"sessionid={director}"}, (200,))

    def intake(n: int):  # noqa: ANN202
        body = json.dumps({
            "title": f"{LOAD_TITLE} {n}", "description": "小区路灯不亮，夜间出行不便。",
            "category": "urban", "channel": "call", "jurisdiction": "330102001001",
            "parties": [{"name": "王芳", "phone": "13812345678", "role": "applicant"}],
        }, ensure_ascii=False).encode()  # fmt: skip
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "Idempotency-Key": f"load-{uuid.uuid4()}"}  # fmt: skip
        return ("POST", "/api/v1/cases", body, headers, (201,))

    operations = [
        ("list_filtered_p1", "list: unit + open + overdue, page 1", page(filtered, director)),
        ("list_filtered_last", f"list: the same, last page ({last})",
         page(f"{filtered}&page={last}", director)),
        ("list_deep", "list: unit, all statuses, from row 50,001 (by key)",
         page(f"/cases/?unit={unit.pk}&after={deep_key(unit.pk)}", director)),
        ("case_page", "case page (a different case each time)", case_page),
        ("inbox_desk", "my work (inbox), desk", page("/cases/inbox/", desk)),
        ("inbox_director", "my work (inbox), director", page("/cases/inbox/", director)),
        ("search", f"search ({len(SEARCHES)} queries in turn)", search),
        ("dashboard", "dashboard (this month)", page("/dashboard/", director)),
        ("supervision", "supervisor's desk", page("/supervision/", director)),
    ]  # fmt: skip
    if args.only:
        wanted = set(args.only.split(","))
        operations = [op for op in operations if op[0] in wanted]
    results = {}
    try:
        for tag, label, make in operations:
            result = run_operation(server.port, tag, make, clients=args.clients,
                                   seconds=args.seconds)  # fmt: skip
            result["server"] = server.server_times(tag)
            results[tag] = (label, result)
            peak = max(memory_kb(pid, "VmHWM") for pid in server.workers()) / 1024
            print(f"  {label:<48} {len(result['client']):>5} requests  server p95 "
                  f"{percentile(result['server'], 0.95):7.1f} ms  workers' peak {peak:.0f} MB",
                  flush=True)  # fmt: skip
        if not args.only or "intake" in args.only.split(","):
            result = run_operation(server.port, "intake", intake, clients=args.intake_clients,
                                   seconds=args.intake_seconds, warmup=3)  # fmt: skip
            result["server"] = server.server_times("intake")
            results["intake"] = (f"intake (API POST), {args.intake_clients} clients", result)
        if args.export:
            results["export"] = export_register(server.port, director)
            results["export"][1]["server"] = server.server_times("export")
        workers = server.workers()
        peaks = {pid: memory_kb(pid, "VmHWM") / 1024 for pid in workers}
        master = memory_kb(server.process.pid, "VmHWM") / 1024
    finally:
        server.stop()
        deleted = delete_load_cases()

    print()
    print(f"{'operation':<50} {'req':>5} {'err':>4} {'req/s':>6}   server p50 / p95 / p99 ms"
          f"      client p50 / p95 / p99 ms")  # fmt: skip
    figures = {}
    for tag, (label, result) in results.items():
        client, served = result["client"], result["server"]
        rate = len(client) / result["seconds"]
        print(f"{label:<50} {len(client):>5} {len(result['errors']):>4} {rate:>6.1f}   "
              f"{percentile(served, .5):7.1f} {percentile(served, .95):7.1f} "
              f"{percentile(served, .99):7.1f}      {percentile(client, .5):7.1f} "
              f"{percentile(client, .95):7.1f} {percentile(client, .99):7.1f}")  # fmt: skip
        if result["errors"]:
            print(f"    errors: {sorted(set(result['errors']))}")
        figures[f"{tag}_p95_ms"] = round(percentile(served, 0.95))
        if tag == "intake":
            figures["intake_per_s"] = round(
                (len(client) - len(result["errors"])) / result["seconds"], 1)  # fmt: skip
    figures["errors"] = sum(len(r["errors"]) for _label, r in results.values())
    print(
        f"peak RSS (VmHWM) of each worker: "
        f"{', '.join(f'{mb:.0f} MB' for mb in peaks.values())}; master {master:.0f} MB"
    )
    figures["worker_rss_mb"] = round(max(peaks.values(), default=0))
    print(f"server log and errors: {folder}; {deleted:,} cases made by the intake deleted again")

    if not args.no_sweep:
        print("deadline sweep (in this process, on the same database):")
        sweeps = timed_sweeps()
        figures["sweep_next_day_s"] = round(sweeps[-1][1], 2)
        figures["sweep_first_s"] = round(sweeps[0][1], 2)
    print(f"reproduce: {command}")
    print(" ".join(f"{k}={v}" for k, v in figures.items()) + f" cases={found['total']}")


if __name__ == "__main__":
    main()
