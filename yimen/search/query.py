"""Searching cases: narrow a scoped queryset to the cases matching a query, best first.

``search_cases`` never widens what it is given: it is always called on
``Case.objects.for_user(user)`` (through the case list's filters), so a search sees what
its user may see and nothing else. A query like a receipt number looks up receipt numbers.

The rank is the text's relevance (bm25 on SQLite, ts_rank_cd on PostgreSQL, a word in the
title counting more) times a recency factor: 2 for a case received today, 1.5 at
``RECENT_DAYS`` old, tending to 1 for old ones. So a clearly better match wins whatever its
age, and between equal matches the newer case comes first.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, FloatField, Func, IntegerField, Q, QuerySet, Value
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from yimen.cases.models import Case, CaseEvent
from yimen.org.scoping import array_literal

from . import index
from .segment import Group, normalise, query_groups, terms_at

RECENT_DAYS = 90
# A common word matches tens of thousands of cases, and ranking every one of them took
# seconds at a million cases (bench/README, "Scale"). Only the newest this many matches are
# ranked and listed; the case list says so, and filters reach older ones.
RANKED_AT_MOST = 2000
RANK = "search_rank"
RANKED_ORDER = (f"-{RANK}", "-received_at", "-pk")
# YM-2026-000123, typed whole or its start, with or without the dashes.
_RECEIPT = re.compile(r"([A-Z]{2,4})-?(\d{4})(?:-?(\d{1,6}))?")


def _fts5_string(term: str) -> str:
    return '"{}"'.format(term.replace('"', '""'))


def _ts_string(term: str) -> str:
    return "'{}'".format(term.replace("\\", "\\\\").replace("'", "''"))


@dataclass(frozen=True)
class TextQuery:
    """A query's groups, and the same condition in FTS5's and in PostgreSQL's syntax.

    Every term is quoted: whatever a user types (quotes, ``*``, ``NEAR``, ``-``, brackets)
    is only ever words to look for, never the index's query syntax.
    """

    groups: tuple[Group, ...]

    @property
    def fts5(self) -> str:
        parts = []
        for group in self.groups:
            if group.kind == "prefix":
                parts.append(_fts5_string(group.terms[0]) + "*")
            elif group.kind == "phrase":
                parts.append(_fts5_string(" ".join(group.terms)))
            else:
                parts.append(_either(group.terms, _fts5_string, " OR ", " AND "))
        return " AND ".join(parts)

    @property
    def tsquery(self) -> str:
        parts = []
        for group in self.groups:
            if group.kind == "prefix":
                parts.append(_ts_string(group.terms[0]) + ":*")
            elif group.kind == "phrase":
                parts.append("(" + " <-> ".join(map(_ts_string, group.terms)) + ")")
            else:
                parts.append(_either(group.terms, _ts_string, " | ", " & "))
        return " & ".join(parts)

    def marks(self, term: str) -> bool:
        """Whether a term of a case's text is one this query looks for (for highlighting)."""
        for group in self.groups:
            if group.kind == "prefix":
                if term.startswith(group.terms[0]):
                    return True
            elif term in group.terms:
                return True
        return False


def _either(terms: tuple[str, ...], quote: Any, or_: str, and_: str) -> str:
    """The word itself, or all the words inside it."""
    word, inner = quote(terms[0]), [quote(t) for t in terms[1:]]
    if not inner:
        return word
    return f"({word}{or_}({and_.join(inner)}))"


class SearchRank(Func):
    """Relevance times recency (see the module's docstring); higher is better."""

    output_field = FloatField()

    def __init__(self, query: TextQuery, now: Any) -> None:
        super().__init__(F("search_index__document"), F("received_at"))
        self.query, self.now = query, now

    def _compiled(self, compiler: Any) -> tuple[tuple[str, list[Any]], tuple[str, list[Any]]]:
        document, received = self.get_source_expressions()
        return compiler.compile(document), compiler.compile(received)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        (document, d_params), (received, r_params) = self._compiled(compiler)
        now = connection.ops.adapt_datetimefield_value(self.now)
        age = f"MAX(julianday(%s) - julianday({received}), 0)"
        sql = f"(-bm25({document}, {index.TITLE_WEIGHT}, 1.0)) * {_recency(age)}"
        return sql, [*d_params, now, *r_params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        (document, d_params), (received, r_params) = self._compiled(compiler)
        age = f"GREATEST(EXTRACT(EPOCH FROM (%s - {received}))::float8 / 86400, 0)"
        # Weights of D, C, B (the account, notes, result) and A (the title): as on SQLite.
        weights = f"'{{0, 0, {1 / index.TITLE_WEIGHT}, 1}}'::float4[]"
        sql = f"ts_rank_cd({weights}, {document}, %s::tsquery)::float8 * {_recency(age)}"
        return sql, [*d_params, self.query.tsquery, self.now, *r_params]


def _recency(age: str) -> str:
    return f"(1.0 + 1.0 / (1.0 + {age} / {RECENT_DAYS}.0))"


def receipt_prefix(q: str) -> str | None:
    """``YM-2026-000123`` for a query that is (the start of) a receipt number, else None."""
    match = _RECEIPT.fullmatch(unicodedata.normalize("NFKC", q).strip().upper())
    if match is None:
        return None
    return "-".join(part for part in match.groups() if part)


def _by_receipt(cases: QuerySet[Case], prefix: str) -> QuerySet[Case]:
    if connection.vendor != "sqlite":
        return cases.filter(receipt_number__startswith=prefix)  # PostgreSQL: the _like index
    # SQLite's LIKE cannot use the receipt numbers' index, a range can; asked apart, so that
    # the planner does not read the whole jurisdiction instead.
    numbers = Case.objects.filter(
        receipt_number__gte=prefix, receipt_number__lt=prefix + "\U0010ffff"
    )
    return cases.filter(pk__in=numbers.values("pk"))


def _ranked(cases: QuerySet[Case], rank: Any) -> QuerySet[Case]:
    return cases.annotate(**{RANK: rank}).order_by(*RANKED_ORDER)


class Position(Func):
    """Minus where a case's id stands in ``ids`` (-1 for the first): the order of a search
    ranked once, in one query, kept by the queries that page and count its result."""

    output_field = IntegerField()

    def __init__(self, ids: Sequence[int]) -> None:
        super().__init__(F("pk"))
        self.ids = [int(pk) for pk in ids]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        pk, params = compiler.compile(self.get_source_expressions()[0])
        return f"-array_position(%s::bigint[], {pk})", [array_literal(self.ids), *params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        pk, params = compiler.compile(self.get_source_expressions()[0])
        whens = " ".join(f"WHEN {pk_} THEN {-n}" for n, pk_ in enumerate(self.ids, 1))
        return f"(CASE {pk} {whens} END)", params


def search_cases(cases: QuerySet[Case], q: str, *, now: Any = None) -> QuerySet[Case]:
    """The cases of ``cases`` that match ``q``, annotated with ``search_rank`` and best first.

    Every word of the query must be in the case's title, account, result or timeline
    notes. A query with nothing to look for (only punctuation, only "的") matches nothing.

    The newest ``RANKED_AT_MOST`` matches are read and ranked here, in one query, so call
    it after every other filter. What it returns holds their ids in rank order: counting
    and paging it reads those few rows by primary key, never the index again.
    """
    q = q.strip()
    if not q:
        return cases
    if (prefix := receipt_prefix(q)) is not None:
        return _ranked(_by_receipt(cases, prefix), Value(0.0))
    query = TextQuery(query_groups(q))
    if not query.groups:
        return _ranked(cases.none(), Value(0.0))
    if not index.supported():  # another database: a plain scan, unranked
        text = Q(title__icontains=q) | Q(description__icontains=q)
        return _ranked(cases.filter(text), Value(0.0))
    matching = cases.filter(search_index__document__match=query)
    newest = (
        matching.annotate(**{RANK: SearchRank(query, now or timezone.now())})
        .order_by("-received_at", "-pk")
        .values_list("pk", "received_at", RANK)[:RANKED_AT_MOST]
    )
    best = sorted(newest, key=lambda row: (-row[2], -row[1].timestamp(), -row[0]))
    ids = [pk for pk, _received, _rank in best]
    if not ids:
        return _ranked(cases.none(), Value(0.0))
    return _ranked(cases.filter(pk__any=frozenset(ids)), Position(ids))


def is_ranked(cases: QuerySet[Case]) -> bool:
    """Whether ``cases`` came from ``search_cases`` (and may be ordered by rank)."""
    return RANK in cases.query.annotations


# --- snippets ----------------------------------------------------------------------------

SNIPPET_WIDTH = 100  # characters of a passage around its first match
SNIPPET_BEFORE = 20  # of them, before the match
_SCANNED = 20_000  # characters of each text looked at for a passage


@dataclass(frozen=True)
class Snippet:
    """A found case's title with its matches marked, and a passage where the text matched."""

    title: SafeString
    passage: SafeString | None = None
    source: Any = ""  # what the passage is from: the account, the result or a note


def _spans(text: str, query: TextQuery) -> list[tuple[int, int]]:
    """Where in ``text`` (its own offsets) the query's terms are, merged and in order."""
    normalised, offsets = normalise(text)
    spans: list[list[int]] = []
    for start, end in sorted((s, e) for t, s, e in terms_at(normalised) if query.marks(t)):
        if offsets is not None:
            start, end = offsets[start], offsets[end - 1] + 1
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [(start, end) for start, end in spans]


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int) -> SafeString:
    """``text[start:end]`` escaped, with the spans in it wrapped in ``<mark>``."""
    html, at = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        html += [escape(text[at:s]), "<mark>", escape(text[s:e]), "</mark>"]
        at = e
    html.append(escape(text[at:end]))
    return mark_safe("".join(html))  # noqa: S308 - every piece of text is escaped above


def highlight(text: str, query: TextQuery) -> SafeString:
    """The whole text, escaped, its matches marked."""
    return _marked(text, _spans(text, query), 0, len(text))


def passage(text: str, query: TextQuery) -> SafeString | None:
    """About ``SNIPPET_WIDTH`` characters around the first match, or None without one."""
    text = text[:_SCANNED]
    spans = _spans(text, query)
    if not spans:
        return None
    start = max(0, min(spans[0][0] - SNIPPET_BEFORE, len(text) - SNIPPET_WIDTH))
    end = min(len(text), start + SNIPPET_WIDTH)
    body = _marked(text, spans, start, end)
    return mark_safe(("…" if start else "") + body + ("…" if end < len(text) else ""))  # noqa: S308


def snippets(cases: list[Case], q: str) -> dict[int, Snippet]:
    """For each of these (already found and scoped) cases, its snippet for ``q``.

    Two queries for any number of cases: their texts, then their notes, newest first.
    """
    groups = query_groups(q) if q.strip() and receipt_prefix(q) is None else ()
    if not groups or not cases:
        return {}
    query, ids = TextQuery(groups), [case.pk for case in cases]
    rows = Case.objects.filter(pk__in=ids).values_list("pk", "title", "description", "result")
    notes: dict[int, list[str]] = {}
    events = CaseEvent.objects.filter(case_id__in=ids).exclude(note="").order_by("-at", "-pk")
    for case_id, note in events.values_list("case_id", "note"):
        notes.setdefault(case_id, []).append(note)
    found = {}
    for pk, title, description, result in rows:
        sources = [(description, _field(Case, "description")), (result, _field(Case, "result"))]
        sources += [(note, _field(CaseEvent, "note")) for note in notes.get(pk, [])]
        found[pk] = Snippet(highlight(title, query))
        for text, source in sources:
            if text and (marked := passage(text, query)) is not None:
                found[pk] = Snippet(found[pk].title, marked, source)
                break
    return found


def _field(model: Any, name: str) -> Any:
    return model._meta.get_field(name).verbose_name
