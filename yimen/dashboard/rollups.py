"""The dashboard's roll-up: period figures read from small tables of days, and kept exact.

The figures ``received``, ``resolved`` and ``on_time`` (``figures``) count cases by the local
day of a moment. ``DailyCount`` holds those counts per local day and category at every node
of the tree, each case counting at its place and at every node above it: a viewer's month
is the thirty-odd days × categories rows of their own node, however many cases there are
below it. ``DailyPlace`` holds the cases received per day at each exact place, for the
breakdown by place. ``CountedAs`` records what each case adds now. What a case adds is
``counted`` (and its SQL twin in ``rebuild``): the figures' own definitions, for one case.

Exact, never "eventually right": ``sync`` runs in the transaction of every change to a case
(``signals``: the case's save, and each timeline event, which every workflow step writes
right after changing the case, also by a queryset update). It locks the case, compares what
the case adds now with what ``CountedAs`` says it added, and moves only the difference,
with upserts that add (``n = n + excluded.n``), so transactions changing different cases of
the same day and node all count. The difference is written per place; the upsert itself
adds it to the place's ancestors, read from the tree at that moment, so a move of part of
the tree (``moved``) and a change to a case never count under different trees. Bulk writes
that send no signals (the generator's COPY, a raw import) are followed by ``rebuild()``
(``manage.py rebuild_rollups``).

A viewer's figure is their node's rows less what the cases they are recused from added
(``Countable``); a handling unit's staff, who see their unit's cases one by one, are
counted live.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Case as Choose
from django.db.models import Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from yimen.cases.models import Case, Status
from yimen.org.models import Jurisdiction
from yimen.periods import Period

from .models import CountedAs, DailyCount, DailyPlace

RESOLVED_STATES = (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED)
# The case's columns the rule reads, in the order ``counted`` takes them.
FACTS = ("status", "received_at", "resolved_at", "deadline", "jurisdiction_id", "category_id")
COUNTS = ("received", "resolved", "on_time")
# What ``CountedAs`` keeps besides the place and category.
KEPT = ("received_on", "resolved_on", "on_time")


# --- the rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """What one case adds to the roll-up: under which place and category, on which local
    day as received and on which as resolved (None: not counted), and whether on time."""

    jurisdiction_id: int
    category_id: int
    received_on: date | None = None
    resolved_on: date | None = None
    on_time: bool = False

    def rows(self, sign: int) -> Iterator[tuple[tuple[date, int, int], tuple[int, int, int]]]:
        """(day, place, category) → (received, resolved, on time), times ``sign``."""
        key = (self.jurisdiction_id, self.category_id)
        if self.received_on is not None:
            yield (self.received_on, *key), (sign, 0, 0)
        if self.resolved_on is not None:
            yield (self.resolved_on, *key), (0, sign, sign * self.on_time)


def local_day(moment: datetime) -> date:
    """The day of ``TIME_ZONE`` a moment falls on, as ``Period.contains`` cuts days."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def counted(
    status: str,
    received_at: datetime,
    resolved_at: datetime | None,
    deadline: date | None,
    jurisdiction_id: int,
    category_id: int,
) -> Counted:
    """The figures' definitions for one case: received on its local day unless merged into
    another case; resolved on its local day when in a resolved state with a deadline; on
    time when that day is not after the deadline."""
    resolved_on = None
    if status in RESOLVED_STATES and deadline is not None and resolved_at is not None:
        resolved_on = local_day(resolved_at)
    return Counted(
        jurisdiction_id,
        category_id,
        received_on=None if status == Status.MERGED else local_day(received_at),
        resolved_on=resolved_on,
        on_time=resolved_on is not None and resolved_on <= deadline,
    )


# --- keeping it -----------------------------------------------------------------------------


def sync(case_ids: Iterable[int]) -> None:
    """Make the roll-up count these cases as they stand now, in the current transaction.

    Why a comparison and not "+1 on this event": a step may change the case by a queryset
    update, several steps may run in one transaction, and the same case may be synced twice;
    comparing the case with what it was counted as makes every call exact and repeatable.
    The case rows are locked (as the search index locks them) so that of two transactions
    changing one case, the second compares against what the first wrote.
    """
    ids = sorted(set(case_ids))
    if not ids:
        return
    with transaction.atomic(savepoint=False):
        _move([(pk, was, counted(*facts)) for pk, (facts, was) in _read(ids).items()])


def added(case: Case) -> None:
    """A case just inserted in this transaction: no one else can see or lock it yet and it
    has no ``CountedAs`` row, so what it adds is written from the instance (three queries)."""
    facts = tuple(getattr(case, name) for name in FACTS)
    _, received_at, resolved_at, deadline, *_ = facts
    plain = (
        isinstance(received_at, datetime)
        and timezone.is_aware(received_at)
        and (resolved_at is None or isinstance(resolved_at, datetime))
        and (
            deadline is None or (isinstance(deadline, date) and not isinstance(deadline, datetime))
        )
    )
    if not plain:  # values the database will normalise (a string, an expression): read them
        sync([case.pk])
        return
    with transaction.atomic(savepoint=False):
        _move([(case.pk, None, counted(*facts))])


def forget(case_ids: Iterable[int]) -> None:
    """Take these cases out of the roll-up: they are being deleted."""
    ids = sorted(set(case_ids))
    with transaction.atomic(savepoint=False):
        _move([(pk, was, None) for pk, (_facts, was) in _read(ids).items()])
        CountedAs.objects.filter(case_id__in=ids).delete()


def _read(ids: list[int]) -> dict[int, tuple[tuple[Any, ...], Counted | None]]:
    """Each case's facts and what it is counted as, read under the case's row lock.

    One query for cases that have their ``CountedAs`` row: both rows are locked, the case's
    first (PostgreSQL locks in the order of the FROM list), so a statement that waited for
    another transaction returns both rows as that transaction left them. A case without one
    (loaded in bulk since the last rebuild) is locked first and its row read after, since a
    statement that waited on a lock still sees other tables as they were when it began.
    """
    kept = [f"counted__{name}" for name in ("jurisdiction_id", "category_id", *KEPT)]
    rows = (
        Case.objects.filter(pk__in=ids, counted__isnull=False)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", *FACTS, *kept)
    )
    found = {row[0]: (row[1:7], Counted(*row[7:])) for row in rows}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        locked = Case.objects.filter(pk__in=missing).select_for_update().order_by("pk")
        facts = {row[0]: row[1:] for row in locked.values_list("pk", *FACTS)}
        counted_as = {
            row[0]: Counted(*row[1:])
            for row in CountedAs.objects.filter(case_id__in=list(facts)).values_list(
                "case_id", "jurisdiction_id", "category_id", *KEPT
            )
        }
        found.update({pk: (facts[pk], counted_as.get(pk)) for pk in facts})
    return found


def _move(changes: list[tuple[int, Counted | None, Counted | None]]) -> None:
    """Add each case's difference between what it was and is counted as, and record it."""
    deltas: dict[tuple[date, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    rewritten = []
    for pk, was, now in changes:
        if was == now:
            continue
        for sign, side in ((-1, was), (1, now)):
            for key, numbers in side.rows(sign) if side else ():
                deltas[key] = [a + b for a, b in zip(deltas[key], numbers, strict=True)]
        if now is not None:
            rewritten.append(CountedAs(case_id=pk, **asdict(now)))
    received: dict[tuple[int, date], int] = defaultdict(int)
    for (day, place, _category), (n, *_rest) in deltas.items():
        received[place, day] += n
    rows = sorted((key, numbers) for key, numbers in deltas.items() if any(numbers))
    places = sorted((key, n) for key, n in received.items() if n)
    day = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        if rows:
            ids = sorted({place for (_day, place, _category), _numbers in rows})
            values = [v for (on, *key), numbers in rows for v in (day(on), *key, *numbers)]
            _execute(cursor, ADD, [*ids, *values], ids=_marks(len(ids), 1),
                     rows=_marks(len(rows), 6))  # fmt: skip
        if places:
            values = [v for (place, on), n in places for v in (place, day(on), n)]
            _execute(cursor, ADD_PLACES, values, rows=_marks(len(places), 3))
    if rewritten:
        CountedAs.objects.bulk_create(
            rewritten,
            update_conflicts=True,
            unique_fields=["case"],
            update_fields=["jurisdiction", "category", *KEPT],
        )


def moved(node: int, old_path: str, new_path: str) -> None:
    """Part of the tree moved: what ``node``'s subtree adds leaves the nodes that were above
    it and joins those now above it (``Jurisdiction.save``, in its transaction).

    The table is locked first (PostgreSQL), so the changes to cases committed before are in
    the rows moved, and those waiting for the lock count under the tree they then find.
    """
    before, now = set(_nodes(old_path)[:-1]), set(_nodes(new_path)[:-1])
    signs = sorted([(n, -1) for n in before - now] + [(n, 1) for n in now - before])
    if not signs:
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _execute(cursor, "LOCK TABLE {daily} IN SHARE ROW EXCLUSIVE MODE")
        values = [v for pair in signs for v in pair]
        _execute(cursor, MOVE, [*values, node], rows=_marks(len(signs), 2))


def _nodes(path: str) -> list[int]:
    """The nodes of a ``Jurisdiction.path`` (its zero-padded keys), root first."""
    return [int(part) for part in path.strip("/").split("/") if part]


# --- the statements -------------------------------------------------------------------------
# Filled in by ``_execute`` with the tables' names (from their models) and the placeholders.

# (day, place, category) → counts, added at each place and every node above it. The nodes
# above are read by the statement itself, from the tree as it stands: one that waited for a
# move of the tree (``moved`` locks the table) counts under the tree it then finds, not the
# one its caller saw. ``n = n + excluded.n``: adding to what is there (``bulk_create`` can
# only overwrite) keeps two transactions on one row from losing a count; in key order, so
# that they lock the rows they share in one order.
ADD_TO_DAILY = """
ON CONFLICT (jurisdiction_id, day, category_id) DO UPDATE SET
    received = {daily}.received + excluded.received,
    resolved = {daily}.resolved + excluded.resolved,
    on_time = {daily}.on_time + excluded.on_time
"""

ADD = (
    """
WITH RECURSIVE up (place, node) AS (
    SELECT id, id FROM {tree} WHERE id IN ({ids})
    UNION ALL
    SELECT up.place, t.parent_id FROM up JOIN {tree} t ON t.id = up.node
    WHERE t.parent_id IS NOT NULL
)
INSERT INTO {daily} (jurisdiction_id, day, category_id, received, resolved, on_time)
SELECT up.node, d.column1, d.column3, SUM(d.column4), SUM(d.column5), SUM(d.column6)
FROM (VALUES {rows}) d JOIN up ON up.place = d.column2
GROUP BY up.node, d.column1, d.column3
HAVING SUM(d.column4) <> 0 OR SUM(d.column5) <> 0 OR SUM(d.column6) <> 0
ORDER BY 1, 2, 3
"""  # noqa: S608 - constants; names filled from _meta by _execute
    + ADD_TO_DAILY
)

# (place, day) → received, added at the place.
ADD_PLACES = """
INSERT INTO {by_place} (jurisdiction_id, day, received) VALUES {rows}
ON CONFLICT (jurisdiction_id, day) DO UPDATE SET
    received = {by_place}.received + excluded.received
"""

# A node's rows times +1 or -1, added at the nodes (node, sign) given, then the node.
MOVE = (
    """
INSERT INTO {daily} (jurisdiction_id, day, category_id, received, resolved, on_time)
SELECT m.column1, d.day, d.category_id,
    m.column2 * d.received, m.column2 * d.resolved, m.column2 * d.on_time
FROM {daily} d CROSS JOIN (VALUES {rows}) m
WHERE d.jurisdiction_id = %s
ORDER BY 1, 2, 3
"""  # noqa: S608 - constants; names filled from _meta by _execute
    + ADD_TO_DAILY
)

# ``counted`` over every case: ``{rule}`` is its SELECT, built by the ORM (``rebuild``). By
# column name from a derived table: the ORM orders a SELECT's columns its own way.
REBUILD_COUNTED = """
INSERT INTO {counted} (case_id, jurisdiction_id, category_id, received_on, resolved_on, on_time)
SELECT pk, jurisdiction_id, category_id, received_on, resolved_on, on_time FROM ({rule}) rule
"""

REBUILD_PLACES = """
INSERT INTO {by_place} (jurisdiction_id, day, received)
SELECT jurisdiction_id, received_on, COUNT(*) FROM {counted}
WHERE received_on IS NOT NULL
GROUP BY jurisdiction_id, received_on
ORDER BY 1, 2
"""

# Per place first, then at each place and every node above it; in key order, which fills the
# key's index from one end instead of splitting its pages all over.
REBUILD_DAILY = """
WITH RECURSIVE up (place, node) AS (
    SELECT id, id FROM {tree}
    UNION ALL
    SELECT up.place, t.parent_id FROM up JOIN {tree} t ON t.id = up.node
    WHERE t.parent_id IS NOT NULL
)
INSERT INTO {daily} (jurisdiction_id, day, category_id, received, resolved, on_time)
SELECT up.node, p.day, p.category_id, SUM(p.received), SUM(p.resolved), SUM(p.on_time)
FROM (
    SELECT day, jurisdiction_id, category_id,
        SUM(received) AS received, SUM(resolved) AS resolved, SUM(on_time) AS on_time
    FROM (
        SELECT received_on AS day, jurisdiction_id, category_id,
            1 AS received, 0 AS resolved, 0 AS on_time
        FROM {counted} WHERE received_on IS NOT NULL
        UNION ALL
        SELECT resolved_on, jurisdiction_id, category_id,
            0, 1, CASE WHEN on_time THEN 1 ELSE 0 END
        FROM {counted} WHERE resolved_on IS NOT NULL
    ) contributions
    GROUP BY day, jurisdiction_id, category_id
) p JOIN up ON up.place = p.jurisdiction_id
GROUP BY up.node, p.day, p.category_id
ORDER BY 1, 2, 3
"""

TABLES = {"daily": DailyCount, "by_place": DailyPlace, "counted": CountedAs, "tree": Jurisdiction}


def _marks(rows: int, width: int) -> str:
    """``rows`` rows of ``width`` placeholders: ``(%s, %s), (%s, %s)``; ``%s, %s`` for 1."""
    one = ", ".join(["%s"] * width)
    return ", ".join([f"({one})" if width > 1 else one] * rows)


def _execute(cursor: Any, statement: str, params: list[Any] | None = None, **parts: str) -> None:
    """Run one of the statements above: the tables' names quoted from their models, and
    ``parts`` (placeholders, or the rebuild's SELECT) filled in."""
    names = {key: connection.ops.quote_name(m._meta.db_table) for key, m in TABLES.items()}
    cursor.execute(statement.format(**names, **parts), params)


# --- rebuilding it --------------------------------------------------------------------------


def rebuild(*, case_model: Any = Case) -> tuple[int, int]:
    """All three tables again from every case, in a few set-based statements; (cases, rows
    of ``DailyCount``).

    For data that arrived without the signals (the generator, a restore of another
    version). On PostgreSQL the tables are emptied with ``TRUNCATE``, which waits for the
    transactions writing them and holds off the others (and the dashboard) until the
    rebuild commits; those then count against the rebuilt rows. ``case_model`` is the
    migration's historical model when a migration calls it.
    """
    tz = timezone.get_default_timezone()
    resolved = Q(status__in=RESOLVED_STATES, deadline__isnull=False, resolved_at__isnull=False)
    # ``counted``, as one SELECT over the cases.
    rule = (
        case_model.objects.order_by()
        .annotate(resolved_day=TruncDate("resolved_at", tzinfo=tz))
        .annotate(
            received_on=Choose(
                When(~Q(status=Status.MERGED), then=TruncDate("received_at", tzinfo=tz))
            ),
            resolved_on=Choose(When(resolved, then=F("resolved_day"))),
            on_time=Choose(
                When(resolved & Q(resolved_day__lte=F("deadline")), then=Value(True)),
                default=Value(False),
            ),
        )
        .values("pk", "jurisdiction_id", "category_id", "received_on", "resolved_on", "on_time")
    )
    select, params = rule.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _execute(cursor, "TRUNCATE {counted}, {daily}, {by_place}")
        else:
            for statement in (
                "DELETE FROM {counted}",
                "DELETE FROM {daily}",
                "DELETE FROM {by_place}",
            ):
                _execute(cursor, statement)
        _execute(cursor, REBUILD_COUNTED, list(params), rule=select)
        cases = cursor.rowcount
        _execute(cursor, REBUILD_PLACES)
        _execute(cursor, REBUILD_DAILY)
        _execute(cursor, "SELECT COUNT(*) FROM {daily}")  # SQLite: no rowcount after WITH
        rows = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            _execute(cursor, "ANALYZE {counted}, {daily}, {by_place}")
    return cases, rows


# --- reading it -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Countable:
    """A viewer's cases as the roll-up counts them: those at or below ``root`` (None: the
    whole center), less those matching ``recused`` (a condition on ``Case``; None: none)
    among the ``places`` of the root's subtree (None: every place)."""

    root: int | None
    places: tuple[int, ...] | None = None
    recused: Q | None = None


def _in_period(column: str, period: Period) -> Q:
    """The ``CountedAs`` rows that add to ``column`` on a day of ``period``."""
    days = (period.start, period.end)
    if column == "received":
        return Q(received_on__range=days)
    return Q(resolved_on__range=days, **({"on_time": True} if column == "on_time" else {}))


def _days(countable: Countable, period: Period) -> QuerySet[DailyCount]:
    """The rows of the viewer's node (or of every root, for the whole center)."""
    rows = DailyCount.objects.filter(day__range=(period.start, period.end))
    if countable.root is None:
        return rows.filter(jurisdiction__in=Jurisdiction.objects.filter(parent__isnull=True))
    return rows.filter(jurisdiction_id=countable.root)


def _recused(countable: Countable) -> QuerySet[CountedAs] | None:
    """What the cases the viewer may not see added in their places (a few complaints about
    them or their unit, found by those columns' indexes)."""
    if countable.recused is None:
        return None
    rows = CountedAs.objects.filter(case__in=Case.objects.filter(countable.recused))
    if countable.places is not None:
        rows = rows.filter(jurisdiction_id__any=countable.places)
    return rows


def totals(countable: Countable, wanted: dict[str, tuple[str, Period]]) -> dict[str, int]:
    """For each name, the sum of one count over one period (two queries for all of them)."""
    asked = list(wanted.values())  # aggregated as n0, n1…: a name may be a column's
    span = Period(min(p.start for _c, p in asked), max(p.end for _c, p in asked))
    sums = _days(countable, span).aggregate(
        **{
            f"n{i}": Sum(column, filter=Q(day__range=(period.start, period.end)))
            for i, (column, period) in enumerate(asked)
        }
    )
    recused = _recused(countable)
    if recused is not None:
        less = recused.aggregate(
            **{
                f"n{i}": Count("pk", filter=_in_period(column, period))
                for i, (column, period) in enumerate(asked)
            }
        )
        sums = {key: (n or 0) - less[key] for key, n in sums.items()}
    return {name: sums[f"n{i}"] or 0 for i, name in enumerate(wanted)}


def received_by(countable: Countable, period: Period, by: str) -> dict[int, int]:
    """Cases received in the period per category (``by="category"``) or exact place
    (``by="jurisdiction"``): pk → number, the non-zero ones, as a GROUP BY over the cases
    gives them."""
    if by == "category":
        rows: QuerySet[Any] = _days(countable, period).values(by)
    else:
        rows = DailyPlace.objects.filter(day__range=(period.start, period.end)).values(by)
        if countable.places is not None:
            rows = rows.filter(jurisdiction_id__any=countable.places)
    numbers = dict(rows.annotate(n=Sum("received")).values_list(by, "n"))
    recused = _recused(countable)
    if recused is not None:
        less = recused.filter(_in_period("received", period)).values(by).annotate(n=Count("pk"))
        for key, n in less.values_list(by, "n"):
            numbers[key] = numbers.get(key, 0) - n
    return {key: n for key, n in numbers.items() if n}
