"""How long the intake register (来访来电登记簿) takes to export a month of 100,000 cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_export_bench \\
        .venv/bin/python bench/export_bench.py --cases 100000

It (re)creates its own database — the name must contain "bench" — migrates it, loads the
demo township, and inserts the cases with ``INSERT … SELECT generate_series``: all received
in one month (``--month``, default March 2026) in the demo's communities and grids, in the
usual mix of channels, categories and states, each with an applicant and every other one
with a respondent. Then, as the demo's street director (who sees every case), it asks the
real views through Django's test client — middleware, scoping, filters and all — for the
register's page, whose row count it notes, and for its ``.xlsx``, whose streamed bytes it
consumes to a file. It measures the export's wall time and rows per second and the
process's peak resident memory (``ru_maxrss``), and opens the file with openpyxl
(read-only) to check that it holds as many data rows as the page counts. ``--tracemalloc``
repeats the export under tracemalloc to report the Python heap's peak (slower, so it is
not the timed run).

The last line is ``export_rows=N export_s=N.NN rows_per_s=N peak_rss_mb=N``. ``--reuse``
keeps a database already built with the same number of cases.
"""

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from sweep_bench import (  # noqa: E402
    SERIES,
    case_insert_sql,
    database_url,
    pick_sql,
    prepare_database,
    setup_django,
)

BATCH = 50_000
PREFIX = "EX-"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases received in the month")
    parser.add_argument("--month", default="2026-03", help="the month exported (YYYY-MM)")
    parser.add_argument("--reuse", action="store_true", help="keep a database already built")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the heap's peak")
    return parser.parse_args()


def month_period(month: str):
    from yimen.periods import month_of

    return month_of(date.fromisoformat(f"{month}-01"))


def build_cases(n: int, period) -> None:
    """n cases received in the period, spread over its seconds, and their parties."""
    from django.db import connection

    from yimen.cases.models import Case, Category, Party, Status
    from yimen.org.models import Jurisdiction, Unit, User

    places = list(Jurisdiction.objects.filter(level__in=["community", "grid"]).values_list(
        "pk", flat=True))  # fmt: skip
    units = list(Unit.objects.values_list("pk", flat=True))
    desks = list(User.objects.filter(role="desk").values_list("pk", flat=True))
    categories = list(Category.objects.values_list("pk", flat=True))
    statuses = [Status.REGISTERED, Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS,
                Status.RESOLVED, Status.CLOSED, Status.CLOSED, Status.CLOSED]  # fmt: skip
    starts = f"TIMESTAMPTZ '{period.starts_at.isoformat()}'"
    seconds = int((period.ends_at - period.starts_at).total_seconds())
    received = f"{starts} + make_interval(secs => floor(r * {seconds}))"
    status = pick_sql([str(s) for s in statuses], 13)
    sql, params = case_insert_sql({
        "receipt_number": f"'{PREFIX}' || lpad(i::text, 9, '0')",
        "tracking_code_hash": "md5(i::text)",
        "title": "'楼道堆放杂物 ' || i",
        "description": "'楼道长期堆放纸箱和旧家具，堵塞消防通道，多次向物业反映未果，"
                       "请求社区协调清理并督促物业落实日常巡查。'",
        "category": pick_sql(categories, 7),
        "channel": pick_sql(["visit", "call", "letter", "online", "grid"], 3),
        "jurisdiction": pick_sql(places, 11),
        "address": "'桂花苑' || mod(i, 40) || '幢'",
        "received_by": pick_sql(desks, 5),
        "received_at": received,
        "status": status,
        "lead_unit": f"CASE WHEN {status} = 'registered' THEN NULL ELSE {pick_sql(units, 5)} END",
        "deadline": f"CASE WHEN {status} = 'registered' THEN NULL "
                    f"ELSE (({received}) AT TIME ZONE 'Asia/Shanghai')::date + 10 END",
        "closed_at": f"CASE WHEN {status} = 'closed' THEN ({received}) + interval '9 days' END",
        "created_at": "now()",
        "updated_at": "now()",
    }, SERIES)  # fmt: skip
    party = Party._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        for start in range(1, n + 1, BATCH):
            end = min(start + BATCH - 1, n)
            began = time.perf_counter()
            cursor.execute(sql, [*params, start, end])
            print(f"  cases {start:>9,}–{end:>9,} in {time.perf_counter() - began:5.1f} s",
                  flush=True)  # fmt: skip
        began = time.perf_counter()
        cases = Case._meta.db_table
        cursor.execute(
            f"INSERT INTO {party} (case_id, role, name, phone, id_number) "  # noqa: S608
            f"SELECT id, 'applicant', '申请人' || id, '13800000000', '' FROM {cases} "
            f"WHERE receipt_number LIKE %s "
            f"UNION ALL SELECT id, 'respondent', '被申请人' || id, '', '' FROM {cases} "
            f"WHERE receipt_number LIKE %s AND mod(id, 2) = 0",
            [f"{PREFIX}%", f"{PREFIX}%"],
        )
        print(f"  {cursor.rowcount:,} parties in {time.perf_counter() - began:5.1f} s")
        cursor.execute(f"VACUUM ANALYZE {Case._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {party}")


def peak_rss_mb() -> float:
    """The process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_count(client, query: dict[str, str]) -> int:
    response = client.get("/ledgers/intake/", query)
    if response.status_code != 200:
        where = response.get("Location", "")
        raise SystemExit(f"bench: the register's page answered {response.status_code} {where}")
    return response.context["page"].paginator.count


def export(client, query: dict[str, str], path: Path) -> tuple[float, float]:
    """Ask for the spreadsheet and write every streamed byte to ``path``.

    Returns the wall time and this process's CPU time: on a shared machine the second
    tells the export's own cost apart from waiting for a busy processor.
    """
    began, cpu = time.perf_counter(), time.process_time()
    response = client.get("/ledgers/intake/export.xlsx", query)
    if response.status_code != 200:
        raise SystemExit(f"bench: the export answered {response.status_code}")
    with path.open("wb") as out:
        for chunk in response.streaming_content:
            out.write(chunk)
    response.close()
    return time.perf_counter() - began, time.process_time() - cpu


def data_rows(path: Path, first_header: str) -> int:
    """Rows under the header row whose first cell is filled, read in openpyxl's read-only mode."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    rows = workbook.active.iter_rows(values_only=True)
    for row in rows:
        if row and row[0] == first_header:
            break
    count = sum(1 for row in rows if row and row[0])
    workbook.close()
    return count


def traced_peak_mb(client, query: dict[str, str], path: Path) -> float:
    import tracemalloc

    tracemalloc.start()
    export(client, query, path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024 / 1024


def logged_in_client():
    """The test client as the demo street director, with templates instrumented for context."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from yimen.org.models import User

    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(User.objects.get(username="director"))
    return client


def main() -> None:
    args = parse_args()
    url = database_url()
    # The bench measures the export, not the sign-in: the director's session needs no
    # second factor here (an empty list of roles that confirm a one-time code).
    os.environ.setdefault("YIMEN_OTP_REQUIRED_ROLES", "")
    command = (
        f"DATABASE_URL={url} .venv/bin/python bench/export_bench.py --cases {args.cases} "
        f"--month {args.month}"
    )
    print(f"reproduce: {command}")
    kept = prepare_database(url, args.reuse)
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    from yimen.cases.ledgers import INTAKE_REGISTER
    from yimen.cases.models import Case

    period = month_period(args.month)
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0, stdout=io.StringIO())
    have = Case.objects.filter(receipt_number__startswith=PREFIX).count()
    if kept and have == args.cases:
        print(f"reusing {have:,} bench cases")
    else:
        if kept:
            Case.objects.filter(receipt_number__startswith=PREFIX).delete()
        print(f"building {args.cases:,} cases received in {period}")
        build_cases(args.cases, period)
        print(f"built in {time.perf_counter() - began:.1f} s")
    print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}")  # fmt: skip

    client = logged_in_client()
    query = period.params()
    rows = page_count(client, query)
    rss_before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "intake.xlsx"
        seconds, cpu = export(client, query, path)
        rss = peak_rss_mb()
        size_mb = path.stat().st_size / 1024 / 1024
        with translation.override(settings.LANGUAGE_CODE):  # the client asks in no language
            exported = data_rows(path, str(INTAKE_REGISTER.columns[0].header))
        traced = traced_peak_mb(client, query, path) if args.tracemalloc else None
    print(f"page count {rows:,}; the spreadsheet holds {exported:,} data rows ({size_mb:.1f} MB)")
    print(f"export {seconds:.2f} s ({cpu:.2f} s CPU in this process, the database's apart), "
          f"{rows / seconds:,.0f} rows/s; "
          f"peak RSS {rss_before:.0f} MB before the export, {rss:.0f} MB after")  # fmt: skip
    if traced is not None:
        print(f"tracemalloc peak during the export: {traced:.1f} MB")
    if exported != rows:
        raise SystemExit(f"bench: the spreadsheet holds {exported} rows, the page counts {rows}")
    print(f"reproduce: {command}")
    print(f"export_rows={rows} export_s={seconds:.2f} rows_per_s={rows / seconds:.0f} "
          f"peak_rss_mb={rss:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
