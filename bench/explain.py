"""The SQL of each hot page, and the plans of its slowest queries, on a generated database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_scale_bench \\
        .venv/bin/python bench/explain.py --top 3

Each page of ``bench/load.py`` is requested once to warm up and once more through Django's
test client (the whole view: middleware, scoping, template) while
``CaptureQueriesContext`` records its queries with their times. For each page it prints the
number of queries and their total time, then, for its ``--top`` slowest SELECTs,
``EXPLAIN (ANALYZE, BUFFERS)`` run on the same database. Nothing is changed; the plans are
for proposing indexes, which come as migrations from the application, not from here.
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from load import (  # noqa: E402
    LOAD_TITLE,
    SEARCHES,
    database_url,
    deep_key,
    delete_load_cases,
    targets,
)
from sweep_bench import setup_django  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=3, help="slowest queries explained per page")
    parser.add_argument("--only", help="comma-separated pages (default: all)")
    parser.add_argument("--profile", action="store_true", help="also where Python spends it")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for this session, to try a change (e.g. jit=off)",
    )
    return parser.parse_args()


_LIST = re.compile(r"(\(|'\{)((?:\d+, ?){8,}\d+)(\)|\}')")


def shorter(text: str) -> str:
    """Long id lists (a street's places) cut to their first ids and their length."""

    def cut(match: re.Match) -> str:
        ids = re.split(r", ?", match.group(2))
        return f"{match.group(1)}{', '.join(ids[:3])}, … {len(ids)} ids{match.group(3)}"

    return _LIST.sub(cut, text)


def profiled(run) -> str:  # noqa: ANN001
    """The functions of the application (and Django) taking most of the request."""
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(
        r"yimen/|django/template/(base|defaulttags)|django/forms/(widgets|boundfield)", 14
    )
    lines = [line for line in out.getvalue().splitlines() if re.match(r"\s+\d", line)]
    return "\n".join(f"    {line}" for line in lines)


def main() -> None:
    args = parse_args()
    url = database_url()
    os.environ["YIMEN_OTP_REQUIRED_ROLES"] = ""
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yimen.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    found = targets()
    unit = found["unit"]
    last = max(1, -(-found["overdue"] // 50))
    filtered = f"/cases/?unit={unit}&status=open&overdue=1"
    clients = {}
    for name in ("director", "desk"):
        clients[name] = Client()
        clients[name].force_login(User.objects.get(username=name))
    token_out = io.StringIO()
    call_command("apitoken", "desk", "--name", "bench/explain.py", stdout=token_out)
    token = token_out.getvalue().strip()

    def get(username: str, path: str):  # noqa: ANN202
        return lambda: clients[username].get(path).status_code

    def intake() -> int:
        applicant = {"name": "王芳", "phone": "13812345678", "role": "applicant"}
        body = {"title": LOAD_TITLE, "description": "小区路灯不亮，夜间出行不便。",
                "category": "urban", "channel": "call", "jurisdiction": "330102001001",
                "parties": [applicant]}  # fmt: skip
        return Client().post(
            "/api/v1/cases", body, content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        ).status_code  # fmt: skip

    def sweep() -> int:
        """A sweep a few days on, rolled back: the day after the steady state."""
        from django.db import transaction
        from django.utils import timezone

        from yimen.supervision.sweep import run_sweep

        with transaction.atomic():
            run_sweep(timezone.localdate() + timedelta(days=3))
            transaction.set_rollback(True)
        return 200

    pages = [
        ("list_filtered_p1", f"{filtered} as director", get("director", filtered)),
        ("list_filtered_last", f"{filtered}&page={last} as director",
         get("director", f"{filtered}&page={last}")),
        ("list_deep", f"/cases/?unit={unit}&after=<row 50,000> as director",
         get("director", f"/cases/?unit={unit}&after={deep_key(unit)}")),
        ("case_page", f"/cases/{found['cases'][0]}/ as director",
         get("director", f"/cases/{found['cases'][0]}/")),
        ("inbox_desk", "/cases/inbox/ as desk", get("desk", "/cases/inbox/")),
        ("inbox_director", "/cases/inbox/ as director", get("director", "/cases/inbox/")),
        *[(f"search {q}", f"/cases/?q={q} as director", get("director", f"/cases/?q={quote(q)}"))
          for q in SEARCHES],
        ("dashboard", "/dashboard/ as director", get("director", "/dashboard/")),
        ("supervision", "/supervision/ as director", get("director", "/supervision/")),
        ("intake", "POST /api/v1/cases as desk (token)", intake),
        ("sweep", "run_sweep(today + 3 days), rolled back", sweep),
    ]  # fmt: skip
    if args.only:
        pages = [p for p in pages if p[0].split()[0] in set(args.only.split(","))]
    settings_sql = [setting.split("=", 1) for setting in args.set]
    with connection.cursor() as cursor:
        for name, value in settings_sql:
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    extra = "".join(f" --set {name}={value}" for name, value in settings_sql)
    print(
        f"reproduce: DATABASE_URL={url} .venv/bin/python bench/explain.py --top {args.top}{extra}"
    )
    for label, what, run in pages:
        run()  # warm: caches, the calendar, the first plans
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            status = run()
        whole = (time.perf_counter() - began) * 1000
        queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        total = sum(ms for ms, _sql in queries)
        print(f"\n=== {label}: {what}: {status}, "
              f"{whole:.0f} ms, of which {len(queries)} queries {total:.0f} ms")  # fmt: skip
        if args.profile:
            print(profiled(run))
        slowest = sorted((q for q in queries if q[1].lstrip().upper().startswith("SELECT")),
                         reverse=True)[: args.top]  # fmt: skip
        for ms, sql in slowest:
            short = shorter(sql)
            print(f"\n--- {ms:.1f} ms: {short[:2000]}{' …' if len(short) > 2000 else ''}")
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                print("\n".join(f"    {shorter(row[0])}" for row in cursor.fetchall()))
    delete_load_cases()  # the intake's, so the pages stay as generated


if __name__ == "__main__":
    main()
