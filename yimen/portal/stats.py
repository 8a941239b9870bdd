"""The public statistics of the whole center: aggregate queries only, never a case.

Counts are by category and by month over the last twelve months (no cross-table of the two,
so no cell narrows down to one matter of one kind in one month). A rate is shown only when
it rests on at least ``YIMEN_PUBLIC_STATS_MIN_COUNT`` cases or follow-ups: a rate over one
or two would tell the public how one resident judged one result.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from yimen.cases.models import Case, Category, FollowUp, Satisfaction, Status

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
    """Every case of the center received (or resolved, or followed up) in the last 12 months."""
    today = today or timezone.localdate()
    since = _first_of_month(today, MONTHS - 1)
    start = datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone())
    least = settings.YIMEN_PUBLIC_STATS_MIN_COUNT

    received = Case.objects.filter(received_at__gte=start)
    per_category = dict(
        received.order_by().values("category").annotate(n=Count("pk")).values_list("category", "n")
    )
    categories = Category.objects.filter(Q(is_active=True) | Q(pk__in=per_category.keys()))
    by_category = _rows([(category_label(c), per_category.get(c.pk, 0)) for c in categories])

    per_month = {
        timezone.localtime(month).date() if isinstance(month, datetime) else month: n
        for month, n in received.annotate(month=TruncMonth("received_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    }
    months = [_first_of_month(today, back) for back in range(MONTHS - 1, -1, -1)]
    by_month = _rows([(month, per_month.get(month, 0)) for month in months])

    resolved = Case.objects.filter(
        status__in=[Status.RESOLVED, Status.CLOSED, Status.ARCHIVED],
        resolved_at__gte=start,
        deadline__isnull=False,
    ).aggregate(
        all=Count("pk"),
        on_time=Count("pk", filter=Q(resolved_at__date__lte=F("deadline"))),
    )
    rated = FollowUp.objects.filter(at__gte=start).aggregate(
        all=Count("pk"),
        satisfied=Count(
            "pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])
        ),
    )
    return CenterStatistics(
        since=since,
        until=today,
        total=sum(per_category.values()),
        by_category=by_category,
        by_month=by_month,
        on_time=_rate(resolved["on_time"], resolved["all"], least),
        satisfaction=_rate(rated["satisfied"], rated["all"], least),
        min_count=least,
    )
