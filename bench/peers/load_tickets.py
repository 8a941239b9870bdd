"""Bulk-load N django-helpdesk tickets, shaped like Yimen's generated cases, into the peer's
PostgreSQL database (run in the peer's virtualenv, after ``bench/peers/setup.sh``):

    bench/peers/.venv/bin/python bench/peers/load_tickets.py --tickets 1000000 \\
        --url postgres://postgres@127.0.0.1:5432/helpdesk_bench

Shape, after ``bench/generate.py``'s township (``--queues`` ≈ its lead units):

- queues play the units: the busiest takes a third of the tickets, the next two about 7 %
  each, the others fewer and fewer (as the street's own office, two bureaux and the
  communities do in a generated township);
- created over ``--years`` years, intake growing (0.7 → 1.3 of the mean), ids in time order;
- statuses: about 2.5 % open or reopened (most of them recent), the rest closed, a few
  resolved or duplicates; due dates 15 days after creation; 90 % assigned to one of
  ``--agents`` staff users;
- titles, descriptions (three sentences) and resolutions in Chinese, from the same
  per-category texts as Yimen's generator (``bench/scale/texts.py``, read as data: it has no
  imports), so the same search words find matches in both;
- ``--followups`` follow-ups per ticket on average (4 to 16; Yimen's generated cases have
  about ten timeline events each), the last of a closed ticket with its status change
  (``helpdesk_ticketchange``).

Everything is ``INSERT … SELECT generate_series`` inside PostgreSQL, with the loaded tables'
secondary indexes and foreign keys dropped during the load and built again after, then
``VACUUM ANALYZE``. The last line is ``loaded tickets=N followups=N seconds=N``.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

HERE = Path(__file__).resolve().parent
TEXTS = HERE.parent / "scale" / "texts.py"
LOADED = ["helpdesk_ticket", "helpdesk_followup", "helpdesk_ticketchange"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--queues", type=int, default=400)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--followups", type=int, default=10, help="mean per ticket (4..16)")
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--seed", type=float, default=0.42)
    parser.add_argument(
        "--url", default="postgres://postgres@127.0.0.1:5432/helpdesk_bench", help="database"
    )
    return parser.parse_args()


def texts() -> dict:
    spec = importlib.util.spec_from_file_location("bench_texts", TEXTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def log(message: str) -> None:
    print(message, flush=True)


def drop_secondary(cur: psycopg.Cursor) -> list[str]:
    """Drop the loaded tables' foreign keys and non-constraint indexes; return what rebuilds
    them (indexes first, then the keys)."""
    cur.execute(
        """SELECT format('ALTER TABLE %%I DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
                  format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname,
                         pg_get_constraintdef(c.oid))
           FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)""",
        [LOADED],
    )
    keys = cur.fetchall()
    cur.execute(
        """SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
           FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
           WHERE i.indrelid::regclass::text = ANY(%s) AND c.oid IS NULL""",
        [LOADED],
    )
    indexes = cur.fetchall()
    for drop, _ in keys + indexes:
        cur.execute(drop)
    return [create for _, create in indexes] + [create for _, create in keys]


def main() -> None:  # noqa: PLR0915 - one load, step by step
    args = parse_args()
    name = urlsplit(args.url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    command = (
        f"bench/peers/.venv/bin/python bench/peers/load_tickets.py --tickets {args.tickets} "
        f"--queues {args.queues} --agents {args.agents} --followups {args.followups} "
        f"--years {args.years:g} --url {args.url}"
    )
    log(f"reproduce: {command}")
    words = texts()
    categories = list(words.CATEGORY_TEXTS.values())
    began = phase = time.perf_counter()

    def lap(label: str) -> None:
        nonlocal phase
        now = time.perf_counter()
        log(f"{label}: {now - phase:.1f} s")
        phase = now

    # One transaction: a load that fails leaves the tables, their indexes and keys as they were.
    with psycopg.connect(args.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM auth_user WHERE username = 'staff'")
        if not cur.fetchone()[0]:
            sys.exit("Run bench/peers/setup.sh first (no staff user).")
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks when keys are dropped
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET work_mem = '64MB'")
        cur.execute("SELECT setseed(%s)", [args.seed])
        cur.execute(
            "TRUNCATE helpdesk_ticketchange, helpdesk_followup, helpdesk_ticket, helpdesk_queue "
            "RESTART IDENTITY CASCADE"
        )
        cur.execute(
            "DELETE FROM helpdesk_usersettings WHERE user_id IN "
            "(SELECT id FROM auth_user WHERE username LIKE 'agent%')"
        )
        cur.execute("DELETE FROM auth_user WHERE username LIKE 'agent%'")

        # Words: one row per category, arrays of titles, sentences, results.
        cur.execute(
            "CREATE TEMP TABLE words (k int PRIMARY KEY, titles text[], sentences text[], "
            "results text[])"
        )
        for k, (titles, sentences, results) in enumerate(categories):
            cur.execute("INSERT INTO words VALUES (%s, %s, %s, %s)", [k, titles, sentences,
                                                                    results])  # fmt: skip
        estates = [a + b for a in words.ESTATE_FIRST for b in words.ESTATE_SECOND]
        communities = [a + b for a in words.COMMUNITY_FIRST for b in words.COMMUNITY_SECOND]
        names = [s + g for s in words.SURNAMES for g in words.GIVEN]

        # Queues (the units): the first three are the street's office and two bureaux.
        heads = ["街道综治中心", "城市管理执法中队", "市场监督管理所"]
        titles = heads + [f"{communities[k % len(communities)]}社区工作站"
                          + (f"{k // len(communities) + 1}" if k >= len(communities) else "")
                          for k in range(args.queues - len(heads))]  # fmt: skip
        cur.execute(
            """INSERT INTO helpdesk_queue (title, slug, allow_public_submission,
                   allow_email_submission, email_box_ssl, enable_notifications_on_email_events)
               SELECT t, 'q' || n, false, false, false, false
               FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n""",
            [titles],
        )
        # Agents: staff users the tickets are assigned to (they never sign in).
        cur.execute(
            """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                   email, is_staff, is_active, date_joined)
               SELECT '!', false, 'agent' || lpad(n::text, 4, '0'), substr(nm, 2), left(nm, 1),
                   'agent' || n || '@example.org', true, true, now()
               FROM unnest(%s::text[]) WITH ORDINALITY AS u(nm, n) WHERE n <= %s""",
            [names, args.agents],
        )
        # Their helpdesk settings, as the application makes for each new user (a ticket page
        # reads its owner's).
        cur.execute(
            """INSERT INTO helpdesk_usersettings (settings_pickled, user_id,
                   email_on_ticket_assign, email_on_ticket_change, login_view_ticketlist,
                   tickets_per_page, use_email_as_submitter, ticket_respond_layout)
               SELECT s.settings_pickled, u.id, s.email_on_ticket_assign,
                   s.email_on_ticket_change, s.login_view_ticketlist, s.tickets_per_page,
                   s.use_email_as_submitter, s.ticket_respond_layout
               FROM auth_user u, helpdesk_usersettings s JOIN auth_user staff
                   ON staff.id = s.user_id AND staff.username = 'staff'
               WHERE u.username LIKE 'agent%'"""
        )
        cur.execute("SELECT min(id), max(id) FROM auth_user WHERE username LIKE 'agent%'")
        first_agent, last_agent = cur.fetchone()
        lap(f"{args.queues} queues, {args.agents} agents")

        rebuild = drop_secondary(cur)
        # x in [0, 1): the moment in the span, with density growing linearly 0.7 → 1.3.
        cur.execute(
            """
            INSERT INTO helpdesk_ticket (id, title, created, modified, submitter_email, status,
                on_hold, description, resolution, priority, due_date, assigned_to_id,
                queue_id, secret_key)
            SELECT g, s.title, s.created, s.created + interval '3 days' * random(),
                'resident' || (g::bigint * 7919 %% 50000) || '@example.org', s.status, false,
                s.description,
                CASE WHEN s.status IN (3, 4) THEN w.results[1 + floor(random()
                     * array_length(w.results, 1))::int] END,
                CASE WHEN r.p < 0.1 THEN 1 WHEN r.p < 0.2 THEN 2 WHEN r.p < 0.9 THEN 3
                     WHEN r.p < 0.97 THEN 4 ELSE 5 END,
                s.created + interval '15 days',
                CASE WHEN random() < 0.9 THEN %(a0)s + floor(random() * (%(a1)s - %(a0)s + 1))::int
                END,
                CASE WHEN r.q < 0.334 THEN 1 WHEN r.q < 0.403 THEN 2 WHEN r.q < 0.472 THEN 3
                     ELSE 4 + floor((%(queues)s - 3) * power(random(), 2))::int END,
                gen_random_uuid()::text
            FROM generate_series(1, %(n)s) g
            CROSS JOIN LATERAL (SELECT random() AS p, random() AS q, random() AS o,
                                ((g - 0.5) / %(n)s) AS u) r
            JOIN words w ON w.k = g %% %(ncat)s
            CROSS JOIN LATERAL (
                SELECT x, age,
                    now() - make_interval(secs => age * 86400) AS created,
                    CASE WHEN r.o < 0.012 + 0.45 * exp(-age / 20.0)
                         THEN CASE WHEN random() < 0.1 THEN 2 ELSE 1 END
                         WHEN r.o > 0.99 THEN 5 WHEN r.o > 0.96 THEN 3 ELSE 4 END AS status,
                    w.titles[1 + floor(random() * array_length(w.titles, 1))::int]
                        || CASE WHEN random() < 0.5 THEN '（' || (%(estates)s::text[])[1
                           + floor(random() * %(nestates)s)::int] || '）' ELSE '' END
                        AS title,
                    w.sentences[1 + floor(random() * array_length(w.sentences, 1))::int]
                        || w.sentences[1 + floor(random() * array_length(w.sentences, 1))::int]
                        || w.sentences[1 + floor(random() * array_length(w.sentences, 1))::int]
                        AS description
                FROM (SELECT (-0.7 + sqrt(0.49 + 1.2 * r.u)) / 0.6 AS x) xx
                CROSS JOIN LATERAL (SELECT (1 - x) * %(days)s AS age) aa
            ) s
            """,
            {"n": args.tickets, "ncat": len(categories), "queues": args.queues,
             "a0": first_agent, "a1": last_agent, "days": round(365 * args.years),
             "estates": estates, "nestates": len(estates)},
        )  # fmt: skip
        lap(f"{args.tickets:,} tickets")
        # Follow-ups: 4..16 per ticket (mean ``--followups``), spread over its first days;
        # the last of a resolved or closed ticket records its status.
        spread = max(0, 2 * (args.followups - 4))
        cur.execute(
            """
            INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, new_status,
                user_id, message_id, email_recipients)
            SELECT t.id, t.created + make_interval(secs => s.k * 86400 * 1.3),
                CASE WHEN s.k = 1 THEN '工单已受理' WHEN s.k = m AND t.status >= 3 THEN '已办结'
                     ELSE '处理进展' END,
                CASE WHEN s.k = m AND t.status >= 3 THEN t.resolution
                     ELSE w.sentences[1 + floor(random() * array_length(w.sentences, 1))::int]
                END,
                random() < 0.6,
                CASE WHEN s.k = m AND t.status >= 3 THEN t.status END,
                t.assigned_to_id, NULL, '[]'::jsonb
            FROM helpdesk_ticket t
            JOIN words w ON w.k = t.id %% %(ncat)s
            CROSS JOIN LATERAL (SELECT 4 + (t.id::bigint * 7919 %% (%(spread)s + 1)) AS m) mm
            CROSS JOIN LATERAL generate_series(1, mm.m) s(k)
            """,
            {"ncat": len(categories), "spread": spread},
        )
        cur.execute("SELECT count(*) FROM helpdesk_followup")
        followups = cur.fetchone()[0]
        lap(f"{followups:,} follow-ups")
        cur.execute(
            """INSERT INTO helpdesk_ticketchange (field, old_value, new_value, followup_id)
               SELECT 'status', '开放', CASE f.new_status WHEN 3 THEN '已解决'
                      WHEN 4 THEN '已关闭' ELSE '重复' END, f.id
               FROM helpdesk_followup f WHERE f.new_status IS NOT NULL"""
        )
        lap("status changes")
        for statement in rebuild:
            cur.execute(statement)
        lap(f"{len(rebuild)} indexes and foreign keys built again")
        for table in LOADED + ["helpdesk_queue", "auth_user"]:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        for table in LOADED + ["helpdesk_queue", "auth_user"]:
            cur.execute(f"VACUUM ANALYZE {table}")
        lap("committed, sequences set, VACUUM ANALYZE")
        cur.execute("SELECT status, count(*) FROM helpdesk_ticket GROUP BY 1 ORDER BY 1")
        by_status = dict(cur.fetchall())
        cur.execute(
            "SELECT queue_id, count(*) FROM helpdesk_ticket GROUP BY 1 ORDER BY 2 DESC LIMIT 3"
        )
        busiest = cur.fetchall()
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
    total = time.perf_counter() - began
    log(f"tickets by status (1 open, 2 reopened, 3 resolved, 4 closed, 5 duplicate): {by_status}")
    log(f"busiest queues (id, tickets): {busiest}; database size {size}")
    log(f"reproduce: {command}")
    log(f"loaded tickets={args.tickets} followups={followups} seconds={total:.0f}")


if __name__ == "__main__":
    main()
