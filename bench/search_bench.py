"""How fast the case search answers over many cases, on PostgreSQL; and how fast it indexes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_search_bench \\
        .venv/bin/python bench/search_bench.py --cases 1000000

It (re)creates its own database — the name must contain "bench" — migrates it, loads the
demo township, and inserts the cases with ``INSERT … SELECT generate_series``: a title of
three words from the centers' own vocabulary (楼道, 漏水, 停车位, 调解…), an account of 20
to 60 words mixing that vocabulary with jieba's 1,500 commonest dictionary words, drawn
log-uniformly (a few words are in many cases, most in few), received over the last
two years in the demo's communities and grids. Then ``manage.py reindex_search`` indexes
them all (its time and rate are printed). Then, through Django's test client — the
server's whole work: middleware, scoping, the search, the snippets, the template — it
requests the case list with each query ``--runs`` times, as the street director (every
case) and as a community's front desk, and prints p50 / p95 / the number of cases found.

The last line is ``search_p50_ms=N search_p95_ms=N index_cases_per_s=N cases=N`` (over
all the queries, as the director). ``--reuse`` keeps a database already built and indexed.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

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

BATCH = 100_000
DOMAIN = (
    "楼道 杂物 堆放 噪音 扰民 漏水 楼上 卫生间 停车位 占用 物业 纠纷 调解 邻里 赔偿 协议 "
    "宠物 犬只 垃圾 清运 路灯 井盖 违章 搭建 拖欠 工资 租金 房东 租户 装修 施工 油烟 "
    "餐馆 占道 经营 摊贩 电梯 停运 消防 通道 隐患 积水 下水道 堵塞 绿化 树木 倒伏 广告牌 "
    "松动 供暖 不热 供水 停水 停电 燃气 泄漏 家暴 婚姻 赡养 老人 继承 宅基地 土地 承包 "
    "山林 边界 道路 维修 公交 站台 学校 门口 拥堵 快递 丢失 网购 退款 医疗 费用 社保 低保"
).split()
QUERIES = [  # (label, q, other filters)
    ("common word", "物业", ""),
    ("rare word", "宅基地", ""),
    ("two words", "楼道 杂物", ""),
    ("inner word", "车位", ""),
    ("word + status", "漏水", "&status=open"),
    ("one char", "电", ""),
    ("phrase", "调解协议", ""),
    ("no match", "不存在的词语", ""),
    ("receipt", "YM-2026", ""),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to build")
    parser.add_argument("--runs", type=int, default=20, help="requests per query")
    parser.add_argument("--reuse", action="store_true", help="keep a database already built")
    return parser.parse_args()


def vocabulary() -> list[str]:
    """The domain words, then jieba's commonest words of two to four characters."""
    import jieba

    from yimen.search.segment import STOP_CHARACTERS

    jieba.initialize()
    common = sorted(
        (w for w, n in jieba.dt.FREQ.items() if n and 2 <= len(w) <= 4 and w.isalpha()),
        key=lambda w: -jieba.dt.FREQ[w],
    )
    words = [w for w in common if not set(w) & STOP_CHARACTERS and w not in DOMAIN][:1500]
    # Every 17th rank a domain word: the commonest in a few cases in ten, most far rarer.
    for rank, word in enumerate(DOMAIN):
        words.insert(rank * 17, word)
    return words


def build_cases(n: int) -> None:
    from django.db import connection

    from yimen.cases.models import Case, Category
    from yimen.org.models import Jurisdiction

    places = list(Jurisdiction.objects.filter(level__in=["community", "grid"]).values_list(
        "pk", flat=True))  # fmt: skip
    categories = list(Category.objects.values_list("pk", flat=True))
    words = vocabulary()
    array = "ARRAY[" + ", ".join(f"'{w}'" for w in words) + "]"
    # Log-uniform over the list: the k-th word about 1/k as often as the first.
    pick = f"({array})[least({len(words)}, floor(exp(random() * ln({len(words)})))::int)]"
    titles = "ARRAY[" + ", ".join(f"'{w}'" for w in DOMAIN) + "]"
    domain = f"({titles})[1 + floor(random() * {len(DOMAIN)})::int]"
    title = f"{domain} || {domain} || {domain} || i::text"
    account = (
        f"(SELECT string_agg({pick}, CASE WHEN mod(g, 7) = 0 THEN '，' ELSE '' END) "  # noqa: S608 - no input
        "FROM generate_series(1, 20 + mod(i, 41)) AS g)"
    )
    explicit = {
        "receipt_number": "'SB-' || lpad(i::text, 9, '0')",
        "tracking_code_hash": "md5(i::text)",
        "title": title,
        "description": account,
        "category": pick_sql(categories, 7),
        "channel": pick_sql(["visit", "call", "letter", "online", "grid"], 3),
        "jurisdiction": pick_sql(places, 11),
        "received_at": "now() - (r * interval '730 days')",
        "status": pick_sql(["registered", "routed", "in_progress", "closed", "closed"], 13),
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


def index_all() -> float:
    """Index every case with the command; the cases per second."""
    from django.core.management import call_command
    from django.db import connection

    from yimen.cases.models import Case

    total = Case.objects.count()
    began = time.perf_counter()
    call_command("reindex_search", batch=2000)
    seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE search_caseindex")
    print(f"indexed {total:,} cases in {seconds:.1f} s: {total / seconds:,.0f} cases/s")
    return total / seconds


def timed(client, url: str, runs: int) -> tuple[list[float], int]:
    """Milliseconds per request (after one warm-up) and the cases the page counted."""
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    counted = re.search(r'id="case-count">\D*([\d,]+)', response.content.decode())
    return times, int(counted.group(1).replace(",", "")) if counted else -1


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    args = parse_args()
    url = database_url()
    command = f"DATABASE_URL={url} .venv/bin/python bench/search_bench.py --cases {args.cases}"
    print(f"reproduce: {command}")
    kept = prepare_database(url, args.reuse)
    os.environ["YIMEN_OTP_REQUIRED_ROLES"] = ""  # the test client signs in without a phone
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from yimen.cases.models import Case
    from yimen.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    rate = 0.0
    if not kept:
        call_command("demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"building {args.cases:,} cases over the last two years")
        build_cases(args.cases)
        rate = index_all()
    total = Case.objects.count()
    print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs, "
          f"{total:,} cases")  # fmt: skip
    everything: list[float] = []
    for username in ("director", "desk"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(f"as {username}:")
        for label, q, more in QUERIES:
            times, count = timed(client, f"/cases/?q={quote(q)}{more}", args.runs)
            if username == "director":
                everything += times
            print(f"  {label:<14} {q:<8} p50 {statistics.median(times):7.1f} ms   "
                  f"p95 {p95(times):7.1f} ms   {count:>9,} found")  # fmt: skip
    print(f"reproduce: {command} --reuse")
    print(f"search_p50_ms={statistics.median(everything):.0f} search_p95_ms={p95(everything):.0f} "
          f"index_cases_per_s={rate:.0f} cases={total}")  # fmt: skip


if __name__ == "__main__":
    main()
