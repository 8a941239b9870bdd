"""bench/generate.py on SQLite: a small township's cases, each consistent with its timeline.

The generator is run as the benchmarks run it, in its own process on its own database file;
then the file is read back with plain SQL: every case ends where its last timeline entry
leads, routed cases have their slips, closed ones their dates, and the search rows are the
ones the application's indexer writes (the generator checks a sample itself and fails
otherwise).
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_it_generates_consistent_cases_on_sqlite(tmp_path):
    database = tmp_path / "yimen_bench.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "YIMEN_VAR_DIR": str(tmp_path)}
    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/generate.py", "--cases", "400", "--communities", "5",
         "--years", "1", "--today", "2026-03-02", "--seed", "3", "--phones", "500"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1].startswith("generated cases=400 ")

    db = sqlite3.connect(database)
    # The demo registers its six matters first; the generated cases come after them.
    assert db.execute("SELECT count(*) FROM cases_case WHERE id > 6").fetchone()[0] == 400
    # Each case stands where its last timeline entry left it.
    mismatched = db.execute(
        "SELECT count(*) FROM cases_case c WHERE c.status != (SELECT e.to_status FROM "
        "cases_caseevent e WHERE e.case_id = c.id ORDER BY e.at DESC, e.id DESC LIMIT 1)"
    ).fetchone()[0]
    assert mismatched == 0
    # Every case assigned has a slip; every ended one its closing date; none is in the future.
    assert db.execute(
        "SELECT count(*) FROM cases_case c WHERE c.lead_unit_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM cases_assignmentslip s WHERE s.case_id = c.id)"
    ).fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM cases_case WHERE status IN ('closed', 'archived', "
        "'transferred_out') AND closed_at IS NULL"
    ).fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM cases_caseevent WHERE at >= '2026-03-01 16:00:00' AND case_id > 6"
    ).fetchone() == (0,)
    # Open and overdue cases exist, as in any center; new receipt numbers follow on.
    statuses = dict(db.execute("SELECT status, count(*) FROM cases_case GROUP BY status"))
    assert statuses.get("archived") and statuses.get("in_progress", 0) + statuses.get("accepted", 0)
    counter = db.execute("SELECT value FROM cases_counter WHERE name = 'YM' AND year = 2026")
    highest = db.execute(
        "SELECT max(CAST(substr(receipt_number, 9) AS integer)) FROM cases_case "
        "WHERE receipt_number LIKE 'YM-2026-%'"
    ).fetchone()[0]
    assert counter.fetchone()[0] >= highest
    assert db.execute("SELECT count(*) FROM search_caseindex").fetchone()[0] >= 400
    # The dashboard's roll-up counts every case received (none is merged here).
    cases = db.execute("SELECT count(*) FROM cases_case").fetchone()[0]
    assert db.execute("SELECT count(*) FROM dashboard_countedas").fetchone()[0] == cases
    assert db.execute("SELECT sum(received) FROM dashboard_dailyplace").fetchone()[0] == cases
