"""Generate N realistic cases for the demo township scaled up, straight into the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_scale_bench \\
        .venv/bin/python bench/generate.py --cases 1000000 --communities 200 --seed 1

It (re)creates its own database — the name (or, for SQLite, the file name) must contain
"bench", so a test or production database is never touched — migrates it, loads the demo
township and scales it up through the ORM: the demo street gets ``--communities``
communities of ``--grids`` grids, each with a workstation, a people's mediation committee
and its roster, a front desk, a mediator and a grid worker, and the default routing rules.

Then it plays ``--cases`` cases forward over the last ``--years`` years (``bench/scale/
story.py``): intake growing over the years, fewer on weekends and holidays, some
communities far busier than others; each case with its parties (phones and ID numbers
sealed as the app seals them, from a pool of ``--phones`` numbers sealed once, so
residents come back), its timeline, assignment slips, extensions, follow-ups, the
mediations of disputes with their consents, sessions, agreements and visits, the triage
suggestions of the last year and its search index row, all consistent with where the case
stands now. Most cases are done on time; some are late, a few stalled for months, so the
open ones include the overdue.

On PostgreSQL the rows stream through one ``COPY`` per table (``bench/scale/sink.py``) with
the tables' secondary indexes dropped, which are then built again; on SQLite (small N,
for a smoke test) they are inserted in batches. Then ``VACUUM ANALYZE``, the sequences and
the number counters (receipts, slips, mediations, agreements) are set past what was
generated, so new intake does not collide, and the references are checked.

Not generated: audit events (the hash chain records what people do in the application;
history loaded in bulk is not theirs), notifications, deadline alerts (the first sweep
raises them), attachments and their files, escalations (they need three attachments),
merges and links. "Now" is the start of ``--today`` (local time), so a seed and a day give
the same data. The last line is ``generated cases=N seconds=N``.
"""

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from scale import sink, story, township  # noqa: E402
from sweep_bench import prepare_database, setup_django  # noqa: E402

SEARCH_MODES = ("copy", "command", "none")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--communities", type=int, default=200, help="communities in the street")
    parser.add_argument("--grids", type=int, default=6, help="grids of each added community")
    parser.add_argument("--years", type=float, default=3, help="years of intake before today")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, help="the day it is (YYYY-MM-DD)")
    parser.add_argument("--phones", type=int, default=50_000, help="distinct phone numbers")
    parser.add_argument(
        "--search",
        choices=SEARCH_MODES,
        default="copy",
        help="search index rows: written with the cases (copy), by manage.py reindex_search "
        "afterwards (command), or not at all",
    )
    parser.add_argument("--no-check", action="store_true", help="skip the reference checks")
    return parser.parse_args()


def database() -> tuple[str, str]:
    """The vendor and the URL, refused unless its database is a bench one."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        name = parts.path.lstrip("/")
        if "bench" not in name:
            sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
        return "postgresql", url
    if parts.scheme == "sqlite":
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        if "bench" not in path.name:
            sys.exit(f"Refusing to use {path}: the file name must contain 'bench'.")
        return "sqlite", url
    sys.exit(
        "Set DATABASE_URL to a bench database, e.g. "
        "postgres://postgres@127.0.0.1:5432/yimen_scale_bench or sqlite:////tmp/yimen_bench.sqlite3"
    )


def fresh_database(vendor: str, url: str) -> None:
    if vendor == "postgresql":
        prepare_database(url, reuse=False)
        return
    path = Path(urlsplit(url).path[1:]) if urlsplit(url).path.startswith("//") else Path(
        urlsplit(url).path)  # fmt: skip
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def log(message: str) -> None:
    print(message, flush=True)


# --- what is generated ---------------------------------------------------------------------


def tables(vendor: str) -> dict[str, sink.Table]:
    """Each generated table's columns, in the order the stories write them."""
    from yimen.cases.models import (
        AssignmentSlip,
        Case,
        CaseEvent,
        ExtensionRequest,
        FollowUp,
        Party,
    )
    from yimen.mediation.models import (
        AgreementDocument,
        ConsentRecord,
        FollowUpVisit,
        Mediation,
        Session,
    )
    from yimen.triage.models import Suggestion

    t = sink.model_table
    result = {
        "case": t(Case, ["id", "receipt_number", "tracking_code_hash", "title", "description",
                         "category", "channel", "jurisdiction", "address", "latitude",
                         "longitude", "is_urgent", "on_the_spot", "received_by", "received_at",
                         "status", "complexity", "leader", "lead_unit", "assigned_on",
                         "deadline", "deadline_provisional", "result", "resolved_at",
                         "closed_at", "archived_at", "transferred_to", "about_unit", "version",
                         "created_at", "updated_at"]),
        "party": t(Party, ["id", "case", "role", "name", "phone", "id_number", "anonymised_at"]),
        "event": t(CaseEvent, ["id", "case", "at", "actor", "action", "from_status", "to_status",
                               "note", "data", "is_public"]),
        "slip": t(AssignmentSlip, ["id", "case", "number", "issued_at", "issued_by", "lead_unit",
                                   "co_unit_names", "complexity", "deadline",
                                   "deadline_provisional", "instructions", "suggested_unit",
                                   "override_reason"]),
        "co_unit": t(Case.co_units.through, ["id", "case", "unit"]),
        "extension": t(ExtensionRequest, ["id", "case", "requested_by", "requested_at", "reason",
                                          "new_deadline", "status", "decided_by", "decided_at",
                                          "decision_note"]),
        "followup": t(FollowUp, ["id", "case", "by", "by_resident", "at", "satisfaction",
                                 "comment", "reopened", "close_reason"]),
        "suggestion": t(Suggestion, ["id", "case", "at", "source", "categories", "unit",
                                     "model_trained_at", "chosen_category", "chosen_unit",
                                     "chosen_by", "chosen_at"]),
        "mediation": t(Mediation, ["id", "case", "committee", "number", "opened_at", "opened_by",
                                   "rights_notice_given_at", "rights_notice_given_by",
                                   "rights_notice_recorded_by", "outcome", "outcome_reason",
                                   "concluded_at", "concluded_by", "next_path", "next_body",
                                   "next_path_note"]),
        "mediation_mediator": t(Mediation.mediators.through, ["id", "mediation",
                                                              "committeemember"]),
        "consent": t(ConsentRecord, ["id", "mediation", "party", "decision", "at", "recorded_by",
                                     "note"]),
        "session": t(Session, ["id", "mediation", "starts_at", "place", "attendees", "record",
                               "scheduled_by", "recorded_at", "recorded_by"]),
        "session_mediator": t(Session.mediators.through, ["id", "session", "committeemember"]),
        "agreement": t(AgreementDocument, ["id", "mediation", "number", "status", "is_partial",
                                           "parties", "dispute_summary", "terms", "amount",
                                           "drafted_by", "drafted_at", "updated_at",
                                           "signed_at", "signed_by"]),
        "visit": t(FollowUpVisit, ["id", "mediation", "agreement", "due_on", "done_at",
                                   "visited_by", "performed", "settled", "note"]),
    }  # fmt: skip
    if vendor == "postgresql":
        result["search"] = sink.Table("search_caseindex", ["rowid", "search_caseindex"])
    else:
        result["search"] = sink.Table("search_caseindex", ["rowid", "title", "body"])
    return result


def sealed_pools(seed: int, phones: int) -> tuple[list[str], list[str]]:
    """Phone and ID numbers, each sealed once (AES-SIV is deterministic: same number, same
    ciphertext, so the duplicate finder's exact phone match works on generated parties)."""
    from yimen.crypto import seal

    rng = random.Random(f"numbers:{seed}")
    numbers = set()
    while len(numbers) < phones:
        numbers.add(f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}")
    sealed_phones = [seal(n, "party.phone") for n in sorted(numbers)]
    rng.shuffle(sealed_phones)
    ids = []
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    for _ in range(max(phones // 2, 1)):
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(60 * 365))
        body = f"330102{born:%Y%m%d}{rng.randrange(1000):03d}"
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        ids.append(seal(body + check, "party.id_number"))
    return sealed_phones, ids


def labels() -> dict[str, str]:
    """The translated words the application writes into timeline notes (in Chinese)."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    from yimen.mediation.models import Consent, NextPath, Outcome, Performed
    from yimen.mediation.services import RIGHT_TO_SUE, right_to_sue_note

    with translation.override("zh-hans"):
        found = {f"consent.{c.value}": str(c.label) for c in Consent}
        found |= {f"outcome.{o.value}": str(o.label) for o in Outcome}
        found |= {f"performed.{p.value}": str(p.label) for p in Performed}
        found["settled"] = _("dispute settled")
        found["right_to_sue"] = str(RIGHT_TO_SUE)
        found["agreement.signed"] = _("Mediation agreement %(number)s signed by the parties.")
        found["agreement.partial"] = _(
            "Partial mediation agreement %(number)s signed. For the rest the parties chose: "
            "%(path)s (%(body)s). %(right)s"
        )
        found["agreement.partial"] = (
            found["agreement.partial"]
            .replace("%(path)s", str(NextPath.COURT.label))
            .replace("%(right)s", str(RIGHT_TO_SUE))
        )
        found["court_note"] = right_to_sue_note(NextPath.COURT, "%(body)s")
    return found


def intake_days(n: int, start: date, today: date, seed: int) -> list[tuple[date, int]]:
    """How many cases each day before today received: growing over the years, fewer on
    days off (today has not begun: "now" is its first moment)."""
    from yimen.workdays.services import load_calendar

    calendar = load_calendar(start, today)
    rng = random.Random(f"days:{seed}")
    days = [start + timedelta(days=k) for k in range((today - start).days)]
    weights = []
    for k, day in enumerate(days):
        growth = 0.7 + 0.6 * k / max(len(days) - 1, 1)
        off = 1.0 if calendar.is_working_day(day) else 0.4
        weights.append(growth * off * rng.lognormvariate(0, 0.12))
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    for k in sorted(range(len(days)), key=lambda k: exact[k] - counts[k], reverse=True)[
        : n - sum(counts)
    ]:
        counts[k] += 1
    return list(zip(days, counts, strict=True))


def day_times(rng: random.Random, day: date, count: int, *, working: bool) -> list:
    """``count`` arrival times in a day, sorted: mostly office hours, some evening and night."""
    base = story._local_moment(day, 0)
    times = []
    for _ in range(count):
        if working and rng.random() < 0.85:
            second = 8.5 * 3600 + rng.random() * 9 * 3600
        else:
            second = rng.random() * 86400
        times.append(base + second)
    times.sort()
    return times


def table_ids(specs: dict[str, sink.Table]) -> dict[str, int]:
    """The highest id of each table, from which the generated ids go on."""
    from django.db import connection

    ids = {}
    with connection.cursor() as cursor:
        for key, table in specs.items():
            if key == "search":
                continue
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}")  # noqa: S608
            ids[key] = cursor.fetchone()[0]
    return ids


def current_counters() -> dict[tuple[str, int], int]:
    from yimen.cases.models import Counter

    return {(c.name, c.year): c.value for c in Counter.objects.all()}


def save_counters(counters: dict[tuple[str, int], int]) -> None:
    """Each number counter at least at the highest number generated, so new ones follow."""
    from yimen.cases.models import Counter

    for (name, year), value in counters.items():
        counter, _ = Counter.objects.get_or_create(name=name, year=year)
        if counter.value < value:
            Counter.objects.filter(pk=counter.pk).update(value=value)


def reset_sequences() -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = [m for m in apps.get_models(include_auto_created=True)]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def check_references(specs: dict[str, sink.Table]) -> int:
    """Rows whose foreign keys point nowhere (the load does not check them row by row)."""
    from django.apps import apps
    from django.db import connection

    names = {t.name for t in specs.values()}
    broken = 0
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.db_table not in names:
                continue
            for field in model._meta.concrete_fields:
                if not field.is_relation or not field.db_constraint:
                    continue
                target = field.target_field
                sql = (
                    f'SELECT count(*) FROM {model._meta.db_table} t WHERE t."{field.column}" '  # noqa: S608
                    f"IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {target.model._meta.db_table} r "
                    f'WHERE r."{target.column}" = t."{field.column}")'
                )
                cursor.execute(sql)
                count = cursor.fetchone()[0]
                if count:
                    log(f"  broken reference: {model._meta.db_table}.{field.column}: {count}")
                broken += count
    return broken


def check_search_rows(sample: int = 300) -> int:
    """Rows of a sample of cases that differ from what the application's indexer writes."""
    from django.db import connection, transaction

    from yimen.cases.models import Case
    from yimen.search.index import reindex_cases

    ids = list(Case.objects.order_by("?").values_list("pk", flat=True)[:sample])
    column = "search_caseindex" if connection.vendor == "postgresql" else "title || ' ' || body"

    def rows() -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, {column} FROM search_caseindex WHERE rowid IN "  # noqa: S608
                f"({', '.join(str(i) for i in ids)})"
            )
            return dict(cursor.fetchall())

    generated = rows()
    with transaction.atomic():
        reindex_cases(ids, lock=False)
        indexed = rows()
        transaction.set_rollback(True)
    differ = [pk for pk in ids if generated.get(pk) != indexed.get(pk)]
    for pk in differ[:3]:
        log(f"  search row of case {pk} differs:\n    {generated.get(pk)}\n    {indexed.get(pk)}")
    return len(differ)


def database_size() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            return cursor.fetchone()[0]
    return f"{Path(connection.settings_dict['NAME']).stat().st_size / 1e6:.0f} MB"


def table_sizes(specs: dict[str, sink.Table]) -> dict[str, str]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
            "WHERE relname = ANY(%s)",
            [[t.name for t in specs.values()]],
        )
        return dict(cursor.fetchall())


def summarise(today: date) -> None:
    """How many cases stand where: the mix of statuses, and the open ones overdue."""
    from django.db.models import Count

    from yimen.cases.models import Case
    from yimen.cases.workflow import OPEN

    counts = Case.objects.order_by().values_list("status").annotate(n=Count("pk"))
    by_status = dict(sorted(counts, key=lambda kv: -kv[1]))
    open_cases = sum(n for status, n in by_status.items() if status in OPEN)
    overdue = Case.objects.filter(status__in=OPEN, deadline__lt=today).count()
    log(f"cases by status: {by_status}")
    log(f"open {open_cases:,}, of which overdue {overdue:,}")


# --- the run --------------------------------------------------------------------------------


def main() -> None:  # noqa: C901 - one run, step by step
    args = parse_args()
    vendor, url = database()
    command = (
        f"DATABASE_URL={url} .venv/bin/python bench/generate.py --cases {args.cases} "
        f"--communities {args.communities} --grids {args.grids} --years {args.years:g} "
        f"--seed {args.seed}" + (f" --phones {args.phones}" if args.phones != 50_000 else "")
    )
    fresh_database(vendor, url)
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    today = args.today or timezone.localdate()
    command += f" --today {today}" + (f" --search {args.search}" if args.search != "copy" else "")
    log(f"reproduce: {command}")
    began = time.perf_counter()
    phase = began

    def lap(label: str) -> float:
        nonlocal phase
        now = time.perf_counter()
        seconds, phase = now - phase, now
        log(f"{label}: {seconds:.1f} s")
        return seconds

    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    added = township.scale_up(args.communities, args.grids, args.seed)
    town = township.load_township()
    lap(f"schema, demo township and {added} more communities ({len(town.communities)} in all)")
    phones, id_numbers = sealed_pools(args.seed, args.phones)
    lap(f"{len(phones):,} phone and {len(id_numbers):,} ID numbers sealed")

    specs = tables(vendor)
    ids = table_ids(specs)
    counters = current_counters()
    dropped = []
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        dropped = sink.drop_secondary_indexes([t.name for t in specs.values()])
    start = today - timedelta(days=round(365 * args.years))
    now = story._local_moment(today, 0)
    days = intake_days(args.cases, start, today, args.seed)
    stories_args = {
        "town": town, "today": today, "now": now, "start": start, "seed": args.seed,
        "ids": ids, "counters": counters, "phones": phones, "id_numbers": id_numbers,
        "search": "copy" if args.search == "copy" else "none", "vendor": vendor,
        "triage_from": today - timedelta(days=365), "labels": labels(),
    }  # fmt: skip
    Sink = sink.PostgresSink if vendor == "postgresql" else sink.SqliteSink
    active = {k: v for k, v in specs.items() if k != "search" or args.search == "copy"}
    done, step = 0, max(args.cases // 10, 1)
    log(f"loading {args.cases:,} cases received {start} – {today} (now: {today} 00:00 local)")
    load_began = time.perf_counter()
    with Sink(active) as out:
        stories = story.Stories(writers=out.writers, **stories_args)
        for day, count in days:
            if not count:
                continue
            rng = random.Random(f"{args.seed}:{day.isoformat()}")
            working = stories.calendar.is_working_day(day)
            for received in day_times(rng, day, count, working=working):
                stories.case(rng, received)
                done += 1
                if done % step == 0:
                    seconds = time.perf_counter() - load_began
                    rows = sum(t.rows for t in active.values())
                    log(f"  {done:>11,} cases  {seconds:7.1f} s  {done / seconds:9,.0f} cases/s  "
                        f"{rows / seconds:11,.0f} rows/s")  # fmt: skip
        log("  committing")
    load_seconds = lap("rows loaded")

    index_seconds: dict[str, float] = {}
    if vendor == "postgresql":
        index_seconds = sink.build_indexes(dropped, log)
        lap(f"{len(dropped)} secondary indexes built")
        with connection.cursor() as cursor:
            for table in active.values():
                cursor.execute(f"VACUUM ANALYZE {table.name}")
        lap("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # The dashboard's roll-up, which the COPY's rows bypassed (no signals).
    from yimen.dashboard.rollups import rebuild as rebuild_rollups

    counted, day_rows = rebuild_rollups()
    lap(f"roll-ups: {counted:,} cases, {day_rows:,} day rows")
    reset_sequences()
    save_counters(stories.counters)
    lap("sequences and number counters set")
    search_seconds = 0.0
    if args.search == "command":
        call_command("reindex_search", batch=2000)
        search_seconds = lap("manage.py reindex_search")
    broken = differ = 0
    if not args.no_check:
        broken = check_references(active)
        differ = check_search_rows() if args.search != "none" else 0
        lap(f"checked: {broken} broken references, {differ} of 300 sampled search rows differ "
            "from the application's indexer")  # fmt: skip

    total = time.perf_counter() - began
    sizes = table_sizes(active)
    log("")
    log(f"{'table':<36} {'rows':>12} {'rows/s':>10} {'index build':>12} {'size':>10}")
    for table in active.values():
        built, size = index_seconds.get(table.name, 0), sizes.get(table.name, "")
        log(f"{table.name:<36} {table.rows:>12,} {table.rows / load_seconds:>10,.0f} "
            f"{built:>10.1f} s {size:>10}")  # fmt: skip
    rows = sum(t.rows for t in active.values())
    log(f"{'all':<36} {rows:>12,} {rows / load_seconds:>10,.0f}")
    summarise(today)
    log(f"database size {database_size()}; {os.cpu_count()} CPUs; load {load_seconds:.0f} s, "
        f"total {total:.0f} s" + (f"; search index by the command {search_seconds:.0f} s"
                                  if search_seconds else ""))  # fmt: skip
    log(f"reproduce: {command}")
    if broken or differ:
        sys.exit(f"generate: {broken} broken references, {differ} search rows differ")
    log(f"generated cases={args.cases} seconds={total:.0f}")


if __name__ == "__main__":
    main()
