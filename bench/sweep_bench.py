"""How long one deadline sweep takes over a million open cases, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_bench \\
        .venv/bin/python bench/sweep_bench.py --cases 1000000

It (re)creates its own database — the name must contain "bench", so a test or production
database is never touched — migrates it, loads the demo township for places, units, staff
and categories, and inserts the open cases with one ``INSERT … SELECT generate_series`` per
batch. Deadlines are spread as in a working center: about 10 % overdue by up to 60 days,
2.5 % due today, the rest due within the next six weeks. Then it runs the sweep three times:

- cold: the first sweep ever, which raises an alert for every case already in the window;
- again: the same day once more, which must raise nothing (the idempotence cost);
- next day: the steady state, what a daily sweep raises.

The last line is ``sweep_s=N.NNN cases=N alerts=N`` (the cold sweep). ``--reuse`` keeps a
database already built with the same number of cases and only clears the alerts.
"""

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BATCH = 250_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases to build")
    parser.add_argument("--today", type=date.fromisoformat, help="the day swept (YYYY-MM-DD)")
    parser.add_argument("--reuse", action="store_true", help="keep a database already built")
    parser.add_argument("--explain", action="store_true", help="print the alert query's plan")
    return parser.parse_args()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql") or not name:
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. "
                 "postgres://postgres@127.0.0.1:5432/yimen_bench")  # fmt: skip
    if "bench" not in name:
        sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    return url


def prepare_database(url: str, reuse: bool) -> bool:
    """Create the database, or drop and create it again; True when it was kept as it was."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return True
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    import django

    django.setup()


# The row source of the inserts: a row number ``i`` and a uniform random ``r`` per row.
SERIES = "(SELECT i, random() AS r FROM generate_series(%s::int, %s::int) AS i) AS series"


def pick_sql(values: list, salt: int) -> str:
    """SQL picking one of ``values`` by the row number ``i``: a spread that repeats."""
    array = "ARRAY[" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values)
    return f"({array}])[1 + mod(i * {salt}, {len(values)})]"


def case_insert_sql(explicit: dict[str, str], source: str) -> tuple[str, list]:
    """``INSERT INTO cases_case … SELECT`` from ``source``: the ``explicit`` SQL expressions
    for their fields, each other field's default (a new required field stops the bench)."""
    from django.db import connection

    from yimen.cases.models import Case

    columns, expressions, params = [], [], []
    for field in Case._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in explicit:
            expressions.append(explicit[field.name])
        elif field.null:
            expressions.append("NULL")
        elif field.has_default() or field.blank:
            expressions.append("%s")
            default = field.get_default() if field.has_default() else ""
            params.append(field.get_db_prep_save(default, connection))
        else:
            raise SystemExit(f"bench: no value for the new required field Case.{field.name}")
    sql = (
        f"INSERT INTO {Case._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - no input
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    return sql, params


def build_cases(n: int, today: date) -> None:
    """n open cases, with INSERT … SELECT generate_series, in batches."""
    from django.db import connection

    from yimen.cases.models import Case, Category, Complexity, Status
    from yimen.org.models import Jurisdiction, Unit

    places = list(Jurisdiction.objects.filter(level__in=["community", "grid"]).values_list(
        "pk", flat=True))  # fmt: skip
    units = list(Unit.objects.values_list("pk", flat=True))
    categories = list(Category.objects.values_list("pk", flat=True))
    statuses = [Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.IN_PROGRESS,
                Status.IN_PROGRESS, Status.EXTENDED, Status.REOPENED, Status.ACCEPTED]  # fmt: skip
    complexities = [Complexity.GENERAL] * 6 + [Complexity.COMPLEX] * 3 + [Complexity.VERY_COMPLEX]

    today_sql = f"DATE '{today.isoformat()}'"
    # ~10 % overdue by 1-60 days, 2.5 % due today, the rest due in 1-42 days.
    deadline = (
        f"CASE WHEN r < 0.10 THEN {today_sql} - (1 + floor(r * 600))::int "
        f"WHEN r < 0.125 THEN {today_sql} "
        f"ELSE {today_sql} + (1 + floor((r - 0.125) / 0.875 * 42))::int END"
    )
    explicit = {
        "receipt_number": "'BM-' || lpad(i::text, 9, '0')",
        "tracking_code_hash": "md5(i::text)",
        "title": "'基准事项 ' || i",
        "description": "'楼道堆放杂物，存在消防隐患，请求处理。'",
        "category": pick_sql(categories, 7),
        "channel": pick_sql(["visit", "call", "letter", "online", "grid"], 3),
        "jurisdiction": pick_sql(places, 11),
        "received_at": f"({today_sql} - (20 + floor(r * 40))::int)::timestamp AT TIME ZONE 'UTC'",
        "status": pick_sql([str(s) for s in statuses], 13),
        "complexity": pick_sql([str(c) for c in complexities], 17),
        "lead_unit": pick_sql(units, 5),
        "assigned_on": f"({deadline}) - 14",
        "deadline": deadline,
        "created_at": "now()",
        "updated_at": "now()",
    }
    sql, params = case_insert_sql(explicit, SERIES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        for start in range(1, n + 1, BATCH):
            end = min(start + BATCH - 1, n)
            began = time.perf_counter()
            cursor.execute(sql, [*params, start, end])
            print(f"  cases {start:>9,}–{end:>9,} in {time.perf_counter() - began:5.1f} s",
                  flush=True)  # fmt: skip
        cursor.execute(f"VACUUM ANALYZE {Case._meta.db_table}")


def clear_alerts() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE supervision_deadlinealert, supervision_sweeprun, notices_notification "
            "RESTART IDENTITY CASCADE"
        )


def explain(today: date) -> None:
    from django.db import connection

    from yimen.cases.workflow import OPEN
    from yimen.supervision.windows import current_window

    window = current_window(today)
    statuses = ", ".join(f"'{s}'" for s in sorted(OPEN))
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT id, deadline, lead_unit_id FROM cases_case "  # noqa: S608
            f"WHERE status IN ({statuses}) AND deadline <= %s",
            [window.approaching_until],
        )
        print("\n".join(f"  {row[0]}" for row in cursor.fetchall()))


def timed_sweep(label: str, today: date):
    from yimen.supervision.sweep import run_sweep

    began = time.perf_counter()
    result = run_sweep(today)
    seconds = time.perf_counter() - began
    raised = result.approaching + result.due + result.overdue
    print(f"{label:<9} {today}  {seconds:7.3f} s  {raised:>9,} alerts "
          f"({result.approaching:,} approaching, {result.due:,} due, {result.overdue:,} overdue), "
          f"{result.notified:,} notifications")  # fmt: skip
    return seconds, raised


def main() -> None:
    args = parse_args()
    url = database_url()
    command = f"DATABASE_URL={url} .venv/bin/python bench/sweep_bench.py --cases {args.cases}" + (
        f" --today {args.today}" if args.today else ""
    )
    print(f"reproduce: {command}")
    kept = prepare_database(url, args.reuse)
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from yimen.cases.models import Case

    today = args.today or timezone.localdate()
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0, stdout=io.StringIO())
    have = Case.objects.filter(receipt_number__startswith="BM-").count()
    if kept and have == args.cases:
        print(f"reusing {have:,} bench cases; alerts cleared")
        clear_alerts()
    else:
        if kept:
            clear_alerts()
            Case.objects.filter(receipt_number__startswith="BM-").delete()
        print(f"building {args.cases:,} open cases (today = {today})")
        build_cases(args.cases, today)
        print(f"built in {time.perf_counter() - began:.1f} s")
    print(f"PostgreSQL {connection.pg_version // 10000}, "
          f"{os.cpu_count()} CPUs, YIMEN_REMIND_WORKING_DAYS_BEFORE=2")  # fmt: skip
    if args.explain:
        explain(today)

    cold, alerts = timed_sweep("cold", today)
    timed_sweep("again", today)
    timed_sweep("next day", today + timedelta(days=1))
    print(f"reproduce: {command}")
    print(f"sweep_s={cold:.3f} cases={args.cases} alerts={alerts}")


if __name__ == "__main__":
    main()
