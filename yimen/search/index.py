"""Keeping the search index: a case's row is rewritten from its texts whenever they change.

What is indexed is what staff write about the matter: the title (weighted highest), the
account, the result and the timeline's notes. Parties' names and numbers never are
(DESIGN.md §1): a search must not become a way to look people up.

The row is written in the transaction that changed the case, so the index never lags
behind or runs ahead of what was committed, even when a process dies between the two.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction

from yimen.cases.models import Case, CaseEvent

from .models import CaseIndex
from .segment import index_terms

TITLE_WEIGHT = 4.0  # a word in the title counts four times one in the account
MAX_TEXT = 100_000  # characters of one case's texts that are indexed (the earliest)
# tsvector limits: positions up to 16383, at most 256 of them per word.
_LAST_POSITION, _POSITIONS_PER_TERM = 16383, 255

CREATE_SQL = {
    "sqlite": [
        "CREATE VIRTUAL TABLE search_caseindex USING fts5(title, body, tokenize = 'unicode61')",
    ],
    "postgresql": [
        "CREATE TABLE search_caseindex"
        " (rowid bigint PRIMARY KEY, search_caseindex tsvector NOT NULL)",
        "CREATE INDEX search_caseindex_document ON search_caseindex USING gin (search_caseindex)",
    ],
}
DROP_SQL = "DROP TABLE IF EXISTS search_caseindex"


def supported(vendor: str | None = None) -> bool:
    return (vendor or connection.vendor) in CREATE_SQL


def _tsvector(title: Sequence[str], body: Sequence[str]) -> str:
    """A tsvector literal, built here so that no text-search parser or locale is involved."""
    positions: dict[str, list[str]] = defaultdict(list)
    for number, (term, weight) in enumerate(
        [*((t, "A") for t in title), *((t, "B") for t in body)], start=1
    ):
        kept = positions[term]
        if len(kept) < _POSITIONS_PER_TERM:
            kept.append(f"{min(number, _LAST_POSITION)}{weight}")
    return " ".join(
        "'{}':{}".format(term.replace("\\", "\\\\").replace("'", "''"), ",".join(at))
        for term, at in positions.items()
    )


def _texts(case_model: Any, event_model: Any, ids: Sequence[int], lock: bool) -> dict[int, Any]:
    cases = case_model.objects.filter(pk__in=ids)
    if lock:
        # Of two transactions adding notes to one case, the second waits here and then
        # reads the first one's note too, instead of writing a row without it.
        cases = cases.select_for_update()
    texts: dict[int, Any] = {
        pk: (title, [description, result])
        for pk, title, description, result in cases.order_by("pk").values_list(
            "pk", "title", "description", "result"
        )
    }
    notes = (
        event_model.objects.filter(case_id__in=ids)
        .exclude(note="")
        .order_by("case_id", "at", "pk")
        .values_list("case_id", "note")
    )
    for case_id, note in notes:
        if case_id in texts:  # not a case deleted in between
            texts[case_id][1].append(note)
    return texts


def _document(title: str, texts: list[str]) -> tuple[list[str], list[str]]:
    body, size = [], 0
    for text in dict.fromkeys(texts):  # the result is also the note of its event: once
        if not text or size >= MAX_TEXT:
            continue
        body.extend(index_terms(text[: MAX_TEXT - size]))
        size += len(text)
    return index_terms(title), body


def _write(documents: dict[int, tuple[list[str], list[str]]], gone: Sequence[int]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(
                "INSERT OR REPLACE INTO search_caseindex (rowid, title, body) VALUES (%s, %s, %s)",
                [(pk, " ".join(t), " ".join(b)) for pk, (t, b) in documents.items()],
            )
        else:
            cursor.executemany(
                "INSERT INTO search_caseindex (rowid, search_caseindex)"
                " VALUES (%s, %s::tsvector) ON CONFLICT (rowid)"
                " DO UPDATE SET search_caseindex = EXCLUDED.search_caseindex",
                [(pk, _tsvector(t, b)) for pk, (t, b) in documents.items()],
            )
    if gone:
        CaseIndex.objects.filter(case_id__in=gone).delete()


def reindex_cases(
    ids: Iterable[int], *, case_model: Any = Case, event_model: Any = CaseEvent, lock: bool = True
) -> int:
    """Rewrite the index rows of these cases (and drop those of deleted ones); the count.

    ``lock`` takes the cases' rows first (PostgreSQL) so that concurrent notes are not lost;
    the migration passes its historical models.
    """
    if not supported():
        return 0
    ids = sorted(set(ids))
    with transaction.atomic(savepoint=False):
        texts = _texts(case_model, event_model, ids, lock)
        documents = {pk: _document(title, body) for pk, (title, body) in texts.items()}
        _write(documents, [pk for pk in ids if pk not in texts])
    return len(documents)


_pending: ContextVar[set[int] | None] = ContextVar("search_pending", default=None)


@contextmanager
def once_per_case() -> Iterator[None]:
    """Inside the block, rewrite each changed case's row once, at the block's end.

    Registering a case saves the case and then its first event, and each save would
    rewrite the row: twice the segmenting on the busiest write there is. Use it inside the
    transaction, so the row is still written with the change it reflects.
    """
    if _pending.get() is not None:  # already inside one: the outer block writes
        yield
        return
    token = _pending.set(set())
    try:
        yield
        ids = _pending.get()
    finally:
        _pending.reset(token)
    if ids:
        reindex_cases(ids)


def case_changed(case_id: int) -> None:
    """Rewrite this case's row now, or at the end of the enclosing ``once_per_case``."""
    pending = _pending.get()
    if pending is None:
        reindex_cases([case_id])
    else:
        pending.add(case_id)


def rebuild(
    *, batch: int = 1000, case_model: Any = Case, event_model: Any = CaseEvent, progress: Any = None
) -> int:
    """Index every case again, ``batch`` cases per transaction, and forget deleted ones.

    For data that arrived without the model's signals (a bulk load, a restore from another
    version). Batches do not lock the cases: a note added meanwhile is indexed by its own save.
    """
    if not supported():
        return 0
    done, last = 0, 0
    all_ids = case_model.objects.order_by("pk").values_list("pk", flat=True)
    while ids := list(all_ids.filter(pk__gt=last)[:batch]):
        done += reindex_cases(ids, case_model=case_model, event_model=event_model, lock=False)
        last = ids[-1]
        if progress is not None:
            progress(done)
    cases = connection.ops.quote_name(case_model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM search_caseindex WHERE rowid NOT IN "  # noqa: S608 - a name from _meta
            f"(SELECT id FROM {cases})"
        )
        if connection.vendor == "sqlite":  # merge the segments the batches wrote
            cursor.execute("INSERT INTO search_caseindex (search_caseindex) VALUES ('optimize')")
    return done
