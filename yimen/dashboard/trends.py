"""分析研判: what rose or fell against the period before and the same period last year,
where cases are dense, and which places keep coming back.

Every number here is a count of :func:`yimen.dashboard.figures.received_in` over a period,
so each links to the list of the cases behind it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, QuerySet
from django.db.models.functions import Cast, Round, Trim
from django.utils.crypto import salted_hmac

from yimen.cases.models import Case, Party
from yimen.cases.privacy import mask_phone
from yimen.periods import Period

from .figures import Scope, by_category, by_place, received_in

POINT_DECIMALS = 3  # about 100 m: one building or one street corner


def previous_period(period: Period) -> Period:
    """The period of the same length that ends the day before ``period`` starts."""
    length = period.end - period.start
    end = period.start - timedelta(days=1)
    return Period(end - length, end)


def _a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def same_period_last_year(period: Period) -> Period:
    return Period(_a_year_before(period.start), _a_year_before(period.end))


@dataclass(frozen=True)
class Change:
    """One category's or place's count now, before and a year ago."""

    key: int
    label: str
    now: int
    before: int
    last_year: int

    @property
    def change(self) -> int:
        return self.now - self.before

    @property
    def change_on_last_year(self) -> int:
        return self.now - self.last_year

    @staticmethod
    def percent(now: int, then: int) -> float | None:
        return (now - then) / then if then else None

    @property
    def change_rate(self) -> float | None:
        return self.percent(self.now, self.before)

    @property
    def year_rate(self) -> float | None:
        return self.percent(self.now, self.last_year)

    @property
    def change_rate_text(self) -> str:
        rate = self.change_rate
        return "" if rate is None else f"{rate:+.0%}"


def compare(scope: Scope, group: Any, labels: dict[int, str]) -> list[Change]:
    """``group`` (by_category or by_place) over the three periods, biggest rise first."""
    now = group(received_in(scope, scope.period))
    before = group(received_in(scope, previous_period(scope.period)))
    last_year = group(received_in(scope, same_period_last_year(scope.period)))
    keys = set(now) | set(before) | set(last_year)
    rows = [
        Change(
            key, labels.get(key, "?"), now.get(key, 0), before.get(key, 0), last_year.get(key, 0)
        )
        for key in keys
    ]
    return sorted(rows, key=lambda row: (-row.change, -row.now, row.label))


def by_category_changes(scope: Scope, labels: dict[int, str]) -> list[Change]:
    return compare(scope, by_category, labels)


def by_place_changes(scope: Scope, labels: dict[int, str]) -> list[Change]:
    return compare(scope, by_place, labels)


@dataclass(frozen=True)
class Repeat:
    """Several matters at one place in the period: an address, or a point on the map."""

    count: int
    address: str = ""
    jurisdiction: int | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def repeated_by_address(scope: Scope) -> list[Repeat]:
    """The same address (trimmed) in the same jurisdiction, at least the threshold times."""
    least = settings.YIMEN_HOTSPOT_MIN_REPEATS
    rows = (
        received_in(scope, scope.period)
        .exclude(address="")
        .annotate(place=Trim("address"))
        .order_by()
        .values("jurisdiction", "place")
        .annotate(n=Count("pk"))
        .filter(n__gte=least)
        .order_by("-n", "place")
    )
    return [
        Repeat(row["n"], address=row["place"], jurisdiction=row["jurisdiction"]) for row in rows
    ]


def _rounded(field: str) -> Any:
    return Cast(
        Round(field, POINT_DECIMALS), DecimalField(max_digits=9, decimal_places=POINT_DECIMALS)
    )


def repeated_by_point(scope: Scope) -> list[Repeat]:
    """Map points that fall within the same ~100 m square, at least the threshold times."""
    least = settings.YIMEN_HOTSPOT_MIN_REPEATS
    rows = (
        received_in(scope, scope.period)
        .filter(latitude__isnull=False, longitude__isnull=False)
        .annotate(lat=_rounded("latitude"), lon=_rounded("longitude"))
        .order_by()
        .values("lat", "lon")
        .annotate(n=Count("pk"))
        .filter(n__gte=least)
        .order_by("-n")
    )
    return [Repeat(row["n"], latitude=row["lat"], longitude=row["lon"]) for row in rows]


def near_point(cases: QuerySet[Case], latitude: Decimal, longitude: Decimal) -> QuerySet[Case]:
    """The cases whose point rounds to this square: the list behind a repeated point."""
    return cases.annotate(lat=_rounded("latitude"), lon=_rounded("longitude")).filter(
        lat=latitude, lon=longitude
    )


def at_address(cases: QuerySet[Case], jurisdiction: int, address: str) -> QuerySet[Case]:
    """The cases at this trimmed address: the list behind a repeated address."""
    return cases.annotate(place=Trim("address")).filter(jurisdiction=jurisdiction, place=address)


@dataclass(frozen=True)
class RepeatedParty:
    """One phone behind several matters in the period, shown masked and named by a key."""

    count: int
    masked: str
    key: str


def party_key(phone: str) -> str:
    """A keyed hash of a phone, so a link can name the party without the number."""
    return salted_hmac("yimen.dashboard.repeated_party", phone).hexdigest()[:20]


def repeated_by_party(scope: Scope) -> list[RepeatedParty]:
    """Phones of parties to at least the threshold of matters received in the period.

    A repeated matter is a problem the center has not yet solved for someone: it is listed
    for the center to act on, never kept as a mark on the person.
    """
    least = settings.YIMEN_HOTSPOT_MIN_REPEATS
    rows = (
        Party.objects.filter(case__in=received_in(scope, scope.period))
        .exclude(phone="")
        .order_by()
        .values("phone")
        .annotate(n=Count("case", distinct=True))
        .filter(n__gte=least)
        .order_by("-n")[:50]
    )
    return [
        RepeatedParty(row["n"], mask_phone(row["phone"]), party_key(row["phone"])) for row in rows
    ]


def with_party(cases: QuerySet[Case], key: str) -> QuerySet[Case]:
    """The cases one of whose parties has the phone behind ``key``: the list behind a count."""
    phones = {
        phone
        for phone in Party.objects.filter(case__in=cases)
        .exclude(phone="")
        .values_list("phone", flat=True)
        .distinct()
        if party_key(phone) == key
    }
    return cases.filter(pk__in=Party.objects.filter(phone__in=phones).values("case_id"))
