"""Yimen side by side with django-helpdesk 2.6.1, the same operations under the same load.

    bash bench/peers/setup.sh                                  # the peer's venv and database
    bench/peers/.venv/bin/python bench/peers/load_tickets.py --tickets 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_peer_bench \\
        .venv/bin/python bench/generate.py --cases 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_peer_bench \\
        .venv/bin/python bench/peer_compare.py --workers 2 --clients 2 --seconds 20

Each system in turn runs under gunicorn with the same settings as ``bench/load.py`` uses for
Yimen (``--workers`` sync workers, ``--timeout=120``, an access log of each request's own
time) on the same PostgreSQL server, and the same client (``bench/load.py``'s: one
``http.client`` connection per thread on loopback, ``--clients`` threads per operation for
``--seconds`` after a warm-up, ``--intake-clients`` threads for ``--intake-seconds`` of
intake). Yimen's users are signed in as ``bench/load.py`` does (a session made for the
director; an API token for the desk); the peer's staff user signs in through its login form
and uses its DRF token for the API.

The operations, one after the other on each system:

- ``list_filtered``: the busiest unit's / queue's open cases, page 1 of 50, newest first.
  Yimen: ``/cases/?unit=U&status=open``. The peer's list is a page shell plus the
  DataTables request that fetches the rows (``/tickets/?queue=Q&status=1&status=2`` then
  ``/datatables_ticket_list/<query>?start=0&length=50``): a person waits for both, so its
  client time is the two requests back to back;
- ``list_deep``: the same unit / queue, all statuses, the same deep rows on both (from row
  50,001, or the last page both have): the peer's page 1001 by offset, Yimen's by key
  (``after=``, as its "Next" goes on past the 200 numbered pages);
- ``item_page``: a case / ticket page, a different one each time from a random sample;
- ``search``: a text search over everything the user sees (the words of ``bench/load.py``),
  first page (peer: shell with ``?q=`` plus its DataTables request);
- ``intake``: creation through the API (Yimen ``POST /api/v1/cases``, the peer
  ``POST /api/tickets/``), ``--intake-clients`` threads for ``--intake-seconds``.

It prints per operation and system the client p50 / p95 (what a person waits for) and the
server p50 / p95 of each request (gunicorn's ``%(D)s``), then the ratio peer / Yimen of the
client times. The last line is ``key=value`` ratios.
"""

import argparse
import http.client
import json
import os
import re
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from load import SEARCHES, Server, deep_key, memory_kb, percentile, run_steps, session_for  # noqa: E402
from sweep_bench import setup_django  # noqa: E402

PEERS = BASE_DIR / "bench" / "peers"
PEER_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
PER_PAGE = 50
DEEP_PAGE = 1001


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients per page")
    parser.add_argument("--seconds", type=float, default=20, help="per operation, after warm-up")
    parser.add_argument("--intake-seconds", type=float, default=30)
    parser.add_argument("--intake-clients", type=int, default=4)
    parser.add_argument("--peer-url", default=os.environ.get("PEER_DATABASE_URL", PEER_URL))
    parser.add_argument("--only", help="comma-separated operations (default: all)")
    return parser.parse_args()


def bench_url(url: str, what: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in name:
        sys.exit(f"{what}: a PostgreSQL database whose name contains 'bench' is needed")
    return url


# --- Yimen -----------------------------------------------------------------------------------


def yimen_targets() -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from yimen.cases.models import Case
    from yimen.cases.workflow import OPEN

    unit = (
        Case.objects.values("lead_unit").annotate(n=Count("pk")).order_by("-n").first()
    )  # fmt: skip
    open_cases = Case.objects.filter(lead_unit=unit["lead_unit"], status__in=OPEN).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_case TABLESAMPLE SYSTEM (1) LIMIT 500")
        cases = [row[0] for row in cursor.fetchall()]
    out = tempfile.SpooledTemporaryFile(mode="w+")
    call_command("apitoken", "desk", "--name", "bench/peer_compare.py", stdout=out)
    out.seek(0)
    found = {
        "unit": unit["lead_unit"], "unit_total": unit["n"], "open": open_cases,
        "cases": cases, "total": Case.objects.count(), "token": out.read().strip(),
        "session": session_for("director"),
    }  # fmt: skip
    connection.close()
    return found


def yimen_operations(t: dict, deep_page: int) -> dict:
    cookie = {"Cookie": f"sessionid={t['session']}"}

    def get(path: str) -> list:
        return [("GET", path, None, cookie, (200,), "page")]

    def intake(n: int) -> list:
        body = json.dumps({
            "title": f"负载测试 {n}", "description": "小区路灯不亮，夜间出行不便。",
            "category": "urban", "channel": "call", "jurisdiction": "330102001001",
            "parties": [{"name": "王芳", "phone": "13812345678", "role": "applicant"}],
        }, ensure_ascii=False).encode()  # fmt: skip
        headers = {"Authorization": f"Bearer {t['token']}", "Content-Type": "application/json",
                   "Idempotency-Key": f"peer-{uuid.uuid4()}"}  # fmt: skip
        return [("POST", "/api/v1/cases", body, headers, (201,), "api")]

    cases = t["cases"]
    return {
        "list_filtered": lambda n: get(f"/cases/?unit={t['unit']}&status=open"),
        # The same rows as the peer's page: Yimen numbers 200 pages, then goes on by key.
        "list_deep": lambda n: get(f"/cases/?unit={t['unit']}&after={t['deep_key']}"),
        "item_page": lambda n: get(f"/cases/{cases[n % len(cases)]}/"),
        "search": lambda n: get(f"/cases/?q={quote(SEARCHES[n % len(SEARCHES)])}"),
        "intake": intake,
    }


# --- the peer --------------------------------------------------------------------------------


def peer_targets(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT queue_id, count(*) FROM helpdesk_ticket GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        queue, queue_total = cur.fetchone()
        cur.execute(
            "SELECT count(*) FROM helpdesk_ticket WHERE queue_id = %s AND status IN (1, 2)",
            [queue],
        )
        open_tickets = cur.fetchone()[0]
        cur.execute("SELECT id FROM helpdesk_ticket TABLESAMPLE SYSTEM (1) LIMIT 500")
        tickets = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT count(*) FROM helpdesk_ticket")
        total = cur.fetchone()[0]
        cur.execute(
            "SELECT t.key FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id "
            "WHERE u.username = 'staff'"
        )
        token = cur.fetchone()[0]
        cur.execute("SELECT id FROM helpdesk_queue ORDER BY id OFFSET 9 LIMIT 1")
        intake_queue = cur.fetchone()[0]
    return {"queue": queue, "queue_total": queue_total, "open": open_tickets,
            "tickets": tickets, "total": total, "token": token,
            "intake_queue": intake_queue}  # fmt: skip


def peer_login(port: int) -> str:
    """Sign the staff user in through the peer's own login form; its session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urlencode({"username": "staff", "password": "staff-bench",
                      "csrfmiddlewaretoken": form_token, "next": "/"})  # fmt: skip
    conn.request("POST", "/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}",
        "Referer": f"http://127.0.0.1:{port}/login/"})  # fmt: skip
    response = conn.getresponse()
    response.read()
    found = re.search(r"sessionid=([^;]+)", " ".join(
        v for k, v in response.getheaders() if k.lower() == "set-cookie"))  # fmt: skip
    conn.close()
    if response.status != 302 or not found:
        raise SystemExit(f"peer login failed: {response.status}")
    return found.group(1)


def peer_query(port: int, cookie: dict, shell: str) -> str:
    """The base64 query the peer's list page hands to its DataTables request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", shell, headers={**cookie, "X-Bench": "warmup"})
    response = conn.getresponse()
    page = response.read().decode()
    conn.close()
    found = re.search(r"datatables_ticket_list/([A-Za-z0-9+/=]+)", page)
    if response.status != 200 or not found:
        raise SystemExit(f"peer list page {shell}: {response.status}, no DataTables query")
    return found.group(1)


def peer_operations(port: int, t: dict, session: str, deep_page: int) -> dict:
    cookie = {"Cookie": f"sessionid={session}"}
    order = "order%5B0%5D%5Bcolumn%5D=5&order%5B0%5D%5Bdir%5D=desc"

    def listing(shell: str, start: int):  # noqa: ANN202
        query = peer_query(port, cookie, shell)
        data = f"/datatables_ticket_list/{query}?draw=1&start={start}&length={PER_PAGE}&{order}"
        steps = [("GET", shell, None, cookie, (200,), "shell"),
                 ("GET", data, None, cookie, (200,), "data")]  # fmt: skip
        return lambda n: steps

    searches = []
    for word in SEARCHES:
        shell = f"/tickets/?q={quote(word)}"
        query = peer_query(port, cookie, shell)
        data = f"/datatables_ticket_list/{query}?draw=1&start=0&length={PER_PAGE}&{order}"
        searches.append([("GET", shell, None, cookie, (200,), "shell"),
                         ("GET", data, None, cookie, (200,), "data")])  # fmt: skip

    def intake(n: int) -> list:
        body = json.dumps({
            "queue": t["intake_queue"], "title": f"负载测试 {n}",
            "description": "小区路灯不亮，夜间出行不便。",
            "submitter_email": "wangfang@example.org", "priority": 3,
        }, ensure_ascii=False).encode()  # fmt: skip
        headers = {"Authorization": f"Token {t['token']}", "Content-Type": "application/json"}
        return [("POST", "/api/tickets/", body, headers, (201,), "api")]

    tickets = t["tickets"]
    return {
        "list_filtered": listing(f"/tickets/?queue={t['queue']}&status=1&status=2", 0),
        "list_deep": listing(f"/tickets/?queue={t['queue']}", (deep_page - 1) * PER_PAGE),
        "item_page": lambda n: [
            ("GET", f"/tickets/{tickets[n % len(tickets)]}/", None, cookie, (200,), "page")
        ],  # fmt: skip
        "search": lambda n: searches[n % len(searches)],
        "intake": intake,
    }


# --- the run ---------------------------------------------------------------------------------

LABELS = {
    "list_filtered": "filtered list (unit/queue + open), page 1",
    "list_deep": "unit/queue list, deep page",
    "item_page": "case / ticket page",
    "search": "text search, page 1",
    "intake": "creation through the API (POST)",
}


def measure(name: str, server: Server, operations: dict, args: argparse.Namespace,
            wanted: list[str]) -> dict:  # fmt: skip
    results = {}
    for op in wanted:
        intake = op == "intake"
        result = run_steps(
            server.port, op, operations[op],
            clients=args.intake_clients if intake else args.clients,
            seconds=args.intake_seconds if intake else args.seconds, warmup=3 if intake else 2,
        )  # fmt: skip
        results[op] = result
        print(f"  {name:<8} {LABELS[op]:<44} {len(result['client']):>5} operations, "
              f"{len(result['errors'])} errors, client p50 {percentile(result['client'], .5):8.1f}"
              f" ms  p95 {percentile(result['client'], .95):8.1f} ms", flush=True)  # fmt: skip
    served = server.all_server_times()
    for op, result in results.items():
        result["server"] = {k.split(".", 1)[1]: v for k, v in served.items()
                            if k.startswith(f"{op}.")}  # fmt: skip
    peaks = [memory_kb(pid, "VmHWM") / 1024 for pid in server.workers()]
    results["_rss"] = max(peaks, default=0)
    return results


def main() -> None:  # noqa: C901, PLR0915 - one run, step by step
    args = parse_args()
    yimen_url = bench_url(os.environ.get("DATABASE_URL", ""), "DATABASE_URL (Yimen)")
    peer_url = bench_url(args.peer_url, "--peer-url (django-helpdesk)")
    wanted = [op for op in LABELS if not args.only or op in args.only.split(",")]
    command = (
        f"DATABASE_URL={yimen_url} .venv/bin/python bench/peer_compare.py --workers "
        f"{args.workers} --clients {args.clients} --seconds {args.seconds:g} --intake-seconds "
        f"{args.intake_seconds:g} --intake-clients {args.intake_clients} --peer-url {peer_url}"
        + (f" --only {args.only}" if args.only else "")
    )
    print(f"reproduce: {command}")
    if not (PEERS / ".venv" / "bin" / "gunicorn").exists():
        sys.exit("bench/peer_compare.py: run bash bench/peers/setup.sh first")
    os.environ["YIMEN_OTP_REQUIRED_ROLES"] = ""
    setup_django()
    from django.conf import settings

    y = yimen_targets()
    p = peer_targets(peer_url)
    if y["total"] < 1000 or p["total"] < 1000:
        sys.exit("generate Yimen cases (bench/generate.py) and load the peer's tickets first")
    deep_page = min(DEEP_PAGE, -(-y["unit_total"] // PER_PAGE), -(-p["queue_total"] // PER_PAGE))
    y["deep_key"] = deep_key(y["unit"], (deep_page - 1) * PER_PAGE)
    print(f"Yimen: {y['total']:,} cases; busiest unit {y['unit']}: {y['unit_total']:,} cases, "
          f"{y['open']:,} open")  # fmt: skip
    print(f"peer:  {p['total']:,} tickets; busiest queue {p['queue']}: {p['queue_total']:,} "
          f"tickets, {p['open']:,} open or reopened")  # fmt: skip
    print(f"deep page: {deep_page} (offset {(deep_page - 1) * PER_PAGE:,}); gunicorn "
          f"{args.workers} sync workers; {args.clients} clients × {args.seconds:g} s per "
          f"operation, intake {args.intake_clients} clients × "
          f"{args.intake_seconds:g} s")  # fmt: skip

    results = {}
    folder = Path(tempfile.mkdtemp(prefix="yimen-peer-"))
    (folder / "yimen").mkdir()
    (folder / "peer").mkdir()
    env = {**os.environ, "DATABASE_URL": yimen_url, "YIMEN_VAR_DIR": str(folder / "yimen"),
           "SECRET_KEY": settings.SECRET_KEY, "YIMEN_DATA_KEY": settings.YIMEN_DATA_KEY,
           "YIMEN_OTP_REQUIRED_ROLES": "", "YIMEN_API_RATE": "1000000/min"}  # fmt: skip
    server = Server(args.workers, env, folder / "yimen")
    try:
        results["yimen"] = measure("Yimen", server, yimen_operations(y, deep_page), args, wanted)
    finally:
        server.stop()

    peer_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("YIMEN_", "DJANGO_"))}  # fmt: skip
    peer_env |= {"DATABASE_URL": peer_url, "DJANGO_SETTINGS_MODULE": "settings"}
    server = Server(args.workers, peer_env, folder / "peer",
                    gunicorn=PEERS / ".venv" / "bin" / "gunicorn", app="wsgi",
                    cwd=PEERS / "helpdesk")  # fmt: skip
    try:
        session = peer_login(server.port)
        operations = peer_operations(server.port, p, session, deep_page)
        results["peer"] = measure("helpdesk", server, operations, args, wanted)
    finally:
        server.stop()

    print()
    print(f"{'operation':<44} {'Yimen p50 / p95 ms':>20} {'helpdesk p50 / p95 ms':>24} "
          f"{'ratio p50':>9} {'ratio p95':>9}")  # fmt: skip
    figures = {}
    for op in wanted:
        a, b = results["yimen"][op], results["peer"][op]
        a50, a95 = percentile(a["client"], 0.5), percentile(a["client"], 0.95)
        b50, b95 = percentile(b["client"], 0.5), percentile(b["client"], 0.95)
        r50, r95 = b50 / a50 if a50 else 0, b95 / a95 if a95 else 0
        print(f"{LABELS[op]:<44} {a50:9.1f} / {a95:8.1f} {b50:11.1f} / {b95:9.1f} "
              f"{r50:9.1f} {r95:9.1f}")  # fmt: skip
        figures[f"{op}_p50"] = round(r50, 1)
        figures[f"{op}_p95"] = round(r95, 1)
    print()
    print("per request, server time (gunicorn), operations done in the time, errors:")
    for system in ("yimen", "peer"):
        for op in wanted:
            r = results[system][op]
            parts = ", ".join(
                f"{sub} p50 {percentile(v, .5):.1f} / p95 {percentile(v, .95):.1f} ms"
                for sub, v in sorted(r["server"].items(), reverse=True)
            )  # fmt: skip
            kinds = f" {sorted(set(r['errors']))}" if r["errors"] else ""
            print(f"  {system:<6} {op:<14} {len(r['client']):>5} ops "
                  f"({len(r['client']) / r['seconds']:.1f}/s), {len(r['errors'])} errors"
                  f"{kinds}: {parts}")  # fmt: skip
    print(f"peak worker RSS: Yimen {results['yimen']['_rss']:.0f} MB, "
          f"helpdesk {results['peer']['_rss']:.0f} MB; logs in {folder}")  # fmt: skip
    behind = [op for op in wanted if figures[f"{op}_p95"] < 1 or figures[f"{op}_p50"] < 1]
    print("Yimen ahead on every operation" if not behind else f"Yimen NOT ahead on: {behind}")
    print(f"reproduce: {command}")
    errors = sum(len(results[s][op]["errors"]) for s in results for op in wanted)
    print("ratio_peer_over_yimen " + " ".join(f"{k}={v}" for k, v in figures.items())
          + f" cases={y['total']} tickets={p['total']} errors={errors}")  # fmt: skip


if __name__ == "__main__":
    main()
