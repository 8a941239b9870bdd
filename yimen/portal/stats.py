"""The public statistics of the whole center: aggregate queries only, never a case.

Counts are by category and by month over the last twelve months (no cross-table of the two,
so no cell narrows down to one matter of one kind in one month). A rate is shown only when
it rests on at least ``YIMEN_PUBLIC_STATS_MIN_COUNT`` cases or follow-ups: a rate over one
or two would tell the public how one resident judged one result.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from yimen.cases.models import Category
from yimen.dashboard.figures import Scope, by_category, counts, received
from yimen.periods import Period

MONTHS = 12


@dataclass(frozen=True)
class Row:
    label: Any
    count: int
    share: int  # of the largest row, in steps of 5 %, for the bar's width class


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    shown: bool  # False when the denominator is too small to publish

    @property
    def percent(self) -> float:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else 0.0


@dataclass(frozen=True)
class CenterStatistics:
    since: date
    until: date
    total: int
    by_category: list[Row]
    by_month: list[Row]
    on_time: Rate
    satisfaction: Rate
    min_count: int


def _first_of_month(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _rows(pairs: list[tuple[Any, int]]) -> list[Row]:
    largest = max((count for _label, count in pairs), default=0)
    return [
        Row(label, count, 5 * round(20 * count / largest) if largest else 0)
        for label, count in pairs
    ]


def _rate(numerator: int, denominator: int, least: int) -> Rate:
    return Rate(numerator, denominator, shown=denominator >= least)


def center_statistics(category_label: Any, today: date | None = None) -> CenterStatistics:
    """Every case of the center received (or resolved, or followed up) in the last 12 months.

    The numbers come from the dashboard's figure functions over the whole center, so the
    public page and the staff's dashboard count by one rule.
    """
    today = today or timezone.localdate()
    since = _first_of_month(today, MONTHS - 1)
    least = settings.YIMEN_PUBLIC_STATS_MIN_COUNT
    scope = Scope.center(Period(since, today), today)

    in_period = received(scope)
    per_category = by_category(in_period)
    categories = Category.objects.filter(Q(is_active=True) | Q(pk__in=per_category.keys()))
    by_category_rows = _rows([(category_label(c), per_category.get(c.pk, 0)) for c in categories])

    per_month = {
        timezone.localtime(month).date() if isinstance(month, datetime) else month: n
        for month, n in in_period.annotate(month=TruncMonth("received_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    }
    months = [_first_of_month(today, back) for back in range(MONTHS - 1, -1, -1)]
    by_month = _rows([(month, per_month.get(month, 0)) for month in months])

    numbers = counts(scope, ("on_time", "resolved", "satisfied", "followed_up"))
    return CenterStatistics(
        since=since,
        until=today,
        total=sum(per_category.values()),
        by_category=by_category_rows,
        by_month=by_month,
        on_time=_rate(numbers["on_time"], numbers["resolved"], least),
        satisfaction=_rate(numbers["satisfied"], numbers["followed_up"], least),
        min_count=least,
    )
