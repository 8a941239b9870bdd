"""Long case lists, newest first: counted up to a point, and reached deep by key.

At a million cases an exact ``COUNT(*)`` of a unit's third of them took 585 ms, and
``OFFSET 50000`` walked fifty thousand rows to throw them away (bench/README, "Scale").
Nobody reads ten thousand cases a page at a time, so:

- a list counts at most ``COUNT_UP_TO`` rows and says "more than" beyond that, and pages
  by number up to there;
- past the last numbered page, "Next" carries the last row's key (``after=``: its
  ``received_at`` and id) and the following page is the rows below that key, read from
  the ``received_at`` index wherever it is, so the hundredth thousand costs what the
  first does.

The order is the lists' own: ``received_at`` then id, both descending.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

COUNT_UP_TO = 10_000
NEWEST_FIRST = ("-received_at", "-pk")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Key:
    """Where a row stands in newest-first order; written ``<µs since 1970>_<id>`` in URLs."""

    received_at: datetime
    pk: int

    @classmethod
    def of(cls, case: Any) -> "Key":
        return cls(case.received_at, case.pk)

    @classmethod
    def parse(cls, text: str) -> "Key | None":
        """The key in ``text``, or None for anything that is not one (a hand-edited URL)."""
        micros, sep, pk = text.partition("_")
        if not sep or not micros.isdigit() or not pk.isdigit() or len(micros) > 18:
            return None
        try:
            return cls(_EPOCH + int(micros) * _MICROSECOND, int(pk))
        except OverflowError:
            return None

    def __str__(self) -> str:
        return f"{(self.received_at - _EPOCH) // _MICROSECOND}_{self.pk}"

    def below(self) -> Q:
        """The rows after this one in newest-first order.

        The first term is implied by the second; it is there so that the database starts
        its walk down the ``received_at`` index at the key instead of filtering from the top.
        """
        return Q(received_at__lte=self.received_at) & (
            Q(received_at__lt=self.received_at) | Q(received_at=self.received_at, pk__lt=self.pk)
        )


class CappedPaginator(Paginator):
    """A paginator that counts at most ``count_up_to`` rows; ``capped`` says if there are more.

    The count is ``SELECT count(*) FROM (… LIMIT count_up_to + 1)``: it stops at the cap
    however many rows match.
    """

    def __init__(self, object_list: Any, per_page: int, count_up_to: int = COUNT_UP_TO) -> None:
        super().__init__(object_list, per_page)
        self.count_up_to = count_up_to

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.count_up_to + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.count_up_to)

    @property
    def capped(self) -> bool:
        return self._counted > self.count_up_to


@dataclass
class KeysetPage:
    """A page read below a key: the rows, and the key to continue from if there are more."""

    object_list: list[Any]
    after: Key
    next_key: Key | None
    keyset = True  # for the pager template

    def has_next(self) -> bool:
        return self.next_key is not None


@dataclass(frozen=True)
class Listing:
    """What a list template needs: the page, how many in all, whether that is a floor."""

    page: Page | KeysetPage
    count: int | None  # None on a page read by key: it is not counted again
    capped: bool
    next_key: Key | None  # "Next" from the last numbered page goes on by key


def newest_first(
    cases: QuerySet, params: Any, per_page: int, count_up_to: int | None = None
) -> Listing:
    """The page of ``cases`` (newest first) that ``params`` asks for: ``?page=`` or ``?after=``.

    A malformed ``after`` shows the first page, as a malformed ``page`` does. A page read
    by key is not counted: one index range, whatever its depth.
    """
    cases = cases.order_by(*NEWEST_FIRST)
    after = Key.parse(params.get("after", ""))
    if after is not None:
        rows = list(cases.filter(after.below())[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page]
        keyset = KeysetPage(rows, after, Key.of(rows[-1]) if more else None)
        return Listing(keyset, None, False, None)
    paginator = CappedPaginator(cases, per_page, count_up_to or COUNT_UP_TO)
    page = paginator.get_page(params.get("page"))
    page.object_list = list(page.object_list)
    last_numbered = page.number == paginator.num_pages and paginator.capped
    next_key = Key.of(page.object_list[-1]) if last_numbered and page.object_list else None
    return Listing(page, paginator.count, paginator.capped, next_key)
