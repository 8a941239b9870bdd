"""How long the dashboard and the trends page take to serve over a year of cases, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_dash_bench \\
        .venv/bin/python bench/dashboard_bench.py --cases 1000000

It (re)creates its own database — the name must contain "bench" — migrates it, loads the
demo township, and inserts the cases with ``INSERT … SELECT generate_series``: received
evenly over the last 365 days in the demo's communities and grids; those received more
than 30 days ago mostly resolved and closed (a deadline ten days after receipt, resolved
within 1–15 days, so about a third late), the rest open in the usual states; half the
closed ones followed up (four in five satisfied). Then, as the demo's street director (who
sees every case), it requests each page ``--runs`` times through Django's test client —
the server's whole work, middleware, queries and template, without a network — and prints
p50 / p95 / max, the number of SQL queries per page, and the command.

The last line is ``dashboard_p50_ms=N dashboard_p95_ms=N trends_p95_ms=N cases=N``.
``--reuse`` keeps a database already built with the same number of cases.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from sweep_bench import (  # noqa: E402
    case_insert_sql,
    database_url,
    pick_sql,
    prepare_database,
    setup_django,
)

BATCH = 250_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to build")
    parser.add_argument("--runs", type=int, default=30, help="requests per page")
    parser.add_argument("--reuse", action="store_true", help="keep a database already built")
    return parser.parse_args()


def build_cases(n: int, today: date) -> None:
    """A year of cases, then a follow-up for half of those closed."""
    from django.db import connection

    from yimen.cases.models import Case, Category, Complexity, FollowUp, Status
    from yimen.org.models import Jurisdiction, Unit, User

    places = list(Jurisdiction.objects.filter(level__in=["community", "grid"]).values_list(
        "pk", flat=True))  # fmt: skip
    units = list(Unit.objects.values_list("pk", flat=True))
    categories = list(Category.objects.values_list("pk", flat=True))
    open_states = [Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.IN_PROGRESS,
                   Status.EXTENDED, Status.REGISTERED]  # fmt: skip
    today_sql = f"DATE '{today.isoformat()}'"
    received = f"({today_sql} - age)::timestamp AT TIME ZONE 'UTC' + interval '9 hours'"
    closed = "(age > 30 AND r < 0.9)"
    explicit = {
        "receipt_number": "'DB-' || lpad(i::text, 9, '0')",
        "tracking_code_hash": "md5(i::text)",
        "title": "'基准事项 ' || i",
        "description": "'楼道堆放杂物，存在消防隐患，请求处理。'",
        "category": pick_sql(categories, 7),
        "channel": pick_sql(["visit", "call", "letter", "online", "grid"], 3),
        "jurisdiction": pick_sql(places, 11),
        "received_at": received,
        "status": f"CASE WHEN {closed} THEN 'closed' ELSE "
        f"{pick_sql([str(s) for s in open_states], 13)} END",
        "complexity": pick_sql([str(Complexity.GENERAL)], 1),
        "lead_unit": pick_sql(units, 5),
        "assigned_on": f"({today_sql} - age)",
        "deadline": f"({today_sql} - age + 10)",
        "resolved_at": f"CASE WHEN {closed} THEN {received} + (1 + floor(r2 * 15))::int "
        "* interval '1 day' END",
        "closed_at": f"CASE WHEN {closed} THEN {received} + interval '16 days' END",
        "created_at": "now()",
        "updated_at": "now()",
    }
    sql, params = case_insert_sql(
        explicit,
        "(SELECT i, r, random() AS r2, floor(random() * 365)::int AS age FROM (SELECT i, "
        "random() AS r FROM generate_series(%s::int, %s::int) AS i) AS s1) AS series",
    )
    director = User.objects.get(username="director").pk
    follow_ups = (
        f"INSERT INTO {FollowUp._meta.db_table} (case_id, by_id, by_resident, at, satisfaction, "  # noqa: S608
        "comment, reopened, close_reason) "
        f"SELECT id, {director}, false, resolved_at + interval '2 days', "
        "CASE WHEN random() < 0.8 THEN 'satisfied' ELSE 'dissatisfied' END, '', false, '' "
        f"FROM {Case._meta.db_table} WHERE status = 'closed' AND receipt_number LIKE 'DB-%%' "
        "AND random() < 0.5"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        for start in range(1, n + 1, BATCH):
            end = min(start + BATCH - 1, n)
            began = time.perf_counter()
            cursor.execute(sql, [*params, start, end])
            print(f"  cases {start:>9,}–{end:>9,} in {time.perf_counter() - began:5.1f} s",
                  flush=True)  # fmt: skip
        cursor.execute(follow_ups)
        print(f"  {cursor.rowcount:,} follow-ups", flush=True)
        cursor.execute(f"VACUUM ANALYZE {Case._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {FollowUp._meta.db_table}")


def timed(client, url: str, runs: int) -> tuple[list[float], int]:
    """Milliseconds per request (after one warm-up) and the queries of the last one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    return times, len(queries)


def report(label: str, times: list[float], queries: int) -> float:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"{label:<10} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
          f"max {max(times):7.1f} ms   {queries} queries")  # fmt: skip
    return p95


def main() -> None:
    args = parse_args()
    url = database_url()
    command = f"DATABASE_URL={url} .venv/bin/python bench/dashboard_bench.py --cases {args.cases}"
    print(f"reproduce: {command}")
    kept = prepare_database(url, args.reuse)
    os.environ["YIMEN_OTP_REQUIRED_ROLES"] = ""  # the test client signs in without a phone
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from yimen.cases.models import Case
    from yimen.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    today = timezone.localdate()
    call_command("migrate", verbosity=0)  # a kept database gets the newer migrations too
    if not kept:
        began = time.perf_counter()
        call_command("demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"building {args.cases:,} cases over the last year (today = {today})")
        build_cases(args.cases, today)
        print(f"built in {time.perf_counter() - began:.1f} s")
    total = Case.objects.count()
    print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs, "
          f"{total:,} cases")  # fmt: skip
    client = Client()
    client.force_login(User.objects.get(username="director"))
    month = f"?start={today.replace(day=1)}&end={today}"
    dash, dash_queries = timed(client, "/dashboard/" + month, args.runs)
    dash_p95 = report("dashboard", dash, dash_queries)
    trend, trend_queries = timed(client, "/dashboard/trends/" + month, args.runs)
    trend_p95 = report("trends", trend, trend_queries)
    print(f"reproduce: {command} --reuse")
    print(f"dashboard_p50_ms={statistics.median(dash):.0f} dashboard_p95_ms={dash_p95:.0f} "
          f"trends_p95_ms={trend_p95:.0f} cases={total}")  # fmt: skip


if __name__ == "__main__":
    main()
