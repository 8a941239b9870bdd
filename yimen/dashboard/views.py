"""The dashboard, the trends page, and the list of cases behind every number on them."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, Category, Party
from yimen.cases.paging import newest_first
from yimen.cases.presentation import masked_party
from yimen.cases.views.lists import decorate
from yimen.dbrouter import reads_may_lag
from yimen.fieldwork.coverage import screening_coverage
from yimen.org.models import Jurisdiction, Level
from yimen.org.permissions import require, staff
from yimen.periods import Period, presets, read_period

from . import trends
from .figures import (
    FIGURES,
    Rate,
    Scope,
    by_category,
    by_place,
    counts,
    rates,
    received,
    targets,
    weekly,
)

PAGE_SIZE = 50
TILES = ("open", "due_soon", "overdue")


def figure_url(code: str, period: Period, **extra: Any) -> str:
    """The list behind one number: the figure, its period, and any narrowing."""
    return f"{reverse('dashboard:cases')}?{urlencode({'figure': code, **period.params(), **extra})}"


def _read(request: HttpRequest) -> tuple[Any, Scope | None]:
    today = timezone.localdate()
    form, period = read_period(request.GET, today)
    return form, Scope.for_user(request.user, period, today) if period else None


def _context(form: Any, scope: Scope | None) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "form": form,
        "period": scope.period if scope else None,
        "presets": [(label, p.params()) for label, p in presets(today)],
    }


def _places(user: Any, keys: Any) -> dict[int, Jurisdiction]:
    return {j.pk: j for j in Jurisdiction.objects.for_user(user).filter(pk__in=list(keys))}


def _bars(pairs: list[tuple[str, int, str]]) -> dict[str, Any]:
    """Chart data (labels, values, links) for the chart and the table beside it."""
    return {
        "labels": [label for label, _n, _u in pairs],
        "values": [n for _l, n, _u in pairs],
        "links": [url for _l, _n, url in pairs],
        "rows": pairs,
    }


@require(staff)
@reads_may_lag()
def dashboard(request: HttpRequest) -> HttpResponse:
    """Open, due soon and overdue; intake this week and last; the period by category, grid
    and week; the rates against their targets. Every number links to its cases."""
    form, scope = _read(request)
    context = _context(form, scope)
    if scope is None:
        return render(request, "dashboard/dashboard.html", context, status=400)
    period = scope.period
    numbers = counts(scope)
    this_and_last = ("this_week", "last_week")
    context["tiles"] = [
        {"code": code, "label": FIGURES[code].label, "value": numbers[code],
         "url": figure_url(code, period)}
        for code in (*TILES, *this_and_last, "received")
    ]  # fmt: skip
    context["week_change"] = numbers["this_week"] - numbers["last_week"]
    context["rates"] = [
        {"rate": rate, "part_url": figure_url(rate.numerator, period),
         "whole_url": figure_url(rate.denominator, period)}
        for rate in rates(scope, numbers)
    ]  # fmt: skip
    campaigns = reverse("fieldwork:campaigns")
    coverage = Rate("screening_coverage", _("Screening coverage"), "", "",
                    screening_coverage(request.user, period),
                    targets().get("screening_coverage"))  # fmt: skip
    context["rates"].append({"rate": coverage, "part_url": campaigns, "whole_url": campaigns})
    in_period = received(scope)
    per_category = by_category(in_period)
    categories = Category.objects.filter(pk__in=per_category)
    context["by_category"] = _bars(
        sorted(
            ((c.name, per_category[c.pk], figure_url("received", period, category=c.code))
             for c in categories),
            key=lambda row: -row[1],
        )
    )  # fmt: skip
    per_place = by_place(in_period)
    places = _places(request.user, per_place)
    context["by_grid"] = _bars(
        sorted(
            ((places[pk].name if pk in places else "?", n, figure_url("received", period, place=pk))
             for pk, n in per_place.items()),
            key=lambda row: -row[1],
        )
    )  # fmt: skip
    context["weekly"] = _bars(
        [(f"{span.start:%m-%d}", n, figure_url("received", span)) for span, n in weekly(scope)]
    )
    context["charts"] = {
        "by_category": context["by_category"],
        "by_grid": context["by_grid"],
        "weekly": context["weekly"],
    }
    return render(request, "dashboard/dashboard.html", context)


def _narrow(request: HttpRequest, cases: QuerySet[Case]) -> tuple[QuerySet[Case], list[str]]:
    """Apply the optional category, place, address or point; say what was applied.

    A category or place the viewer cannot see is a 404, as any other object would be.
    """
    said = []
    params = request.GET
    if params.get("category"):
        category = Category.objects.filter(code=params["category"]).first()
        if category is None:
            raise Http404
        cases = cases.filter(category=category)
        said.append(category.name)
    if params.get("place"):
        place = Jurisdiction.objects.for_user(request.user).filter(pk=_int(params["place"])).first()
        if place is None:
            raise Http404
        if params.get("address"):
            cases = trends.at_address(cases, place.pk, params["address"])
            said.append(f"{place.name} {params['address']}")
        else:
            cases = cases.filter(jurisdiction=place)
            said.append(place.name)
    if params.get("lat") and params.get("lon"):
        try:
            lat, lon = Decimal(params["lat"]), Decimal(params["lon"])
        except InvalidOperation as exc:
            raise Http404 from exc
        cases = trends.near_point(cases, lat, lon)
        said.append(f"{lat}, {lon}")
    if params.get("party"):
        cases = trends.with_party(cases, params["party"])
        said.append(_("the same party"))
    return cases, said


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@require(staff)
@reads_may_lag()
def figure_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind one number: the same queryset the number counted."""
    figure = FIGURES.get(request.GET.get("figure", ""))
    if figure is None:
        raise Http404
    form, scope = _read(request)
    context = _context(form, scope)
    context["figure"] = figure
    if scope is None:
        return render(request, "dashboard/cases.html", context, status=400)
    cases, said = _narrow(request, figure.cases(scope))
    cases = cases.select_related("category", "jurisdiction", "lead_unit").prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("id"))
    )
    listing = newest_first(cases, request.GET, PAGE_SIZE)
    listing.page.object_list = decorate(listing.page.object_list, scope.today)
    for case in listing.page.object_list:
        case.masked_parties = [masked_party(p) for p in case.parties.all()]
    context.update(listing=listing, page=listing.page, narrowed=said, code=request.GET["figure"])
    return render(request, "dashboard/cases.html", context)


def _density(user: Any, per_place: dict[int, int]) -> dict[str, Any]:
    """The grids in scope with their boundaries and this period's count, for the map."""
    grids = Jurisdiction.objects.for_user(user).filter(level=Level.GRID, polygon__isnull=False)
    features = [
        {"type": "Feature", "geometry": grid.polygon,
         "properties": {"id": grid.pk, "name": grid.name, "count": per_place.get(grid.pk, 0)}}
        for grid in grids.only("pk", "name", "polygon")
    ]  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


@require(staff)
@reads_may_lag()
def trends_page(request: HttpRequest) -> HttpResponse:
    form, scope = _read(request)
    context = _context(form, scope)
    if scope is None:
        return render(request, "dashboard/trends.html", context, status=400)
    period = scope.period
    before, last_year = trends.previous_period(period), trends.same_period_last_year(period)
    categories = {c.pk: c for c in Category.objects.all()}
    labels = {pk: c.name for pk, c in categories.items()}
    by_cat = trends.by_category_changes(scope, labels)
    place_rows = trends.by_place_changes(scope, {})
    places = _places(request.user, [row.key for row in place_rows])
    by_place_rows = [
        trends.Change(r.key, places[r.key].name, r.now, r.before, r.last_year)
        for r in place_rows
        if r.key in places
    ]

    repeated = trends.repeated_by_address(scope)
    named = {
        pk: j.name for pk, j in _places(request.user, {r.jurisdiction for r in repeated}).items()
    }

    def links(kind: str, key: int) -> dict[str, str]:
        extra = {"category": categories[key].code} if kind == "category" else {"place": key}
        return {
            "now": figure_url("received", period, **extra),
            "before": figure_url("received", before, **extra),
            "last_year": figure_url("received", last_year, **extra),
        }

    context.update(
        before=before,
        last_year=last_year,
        categories=[(row, links("category", row.key)) for row in by_cat],
        places=[(row, links("place", row.key)) for row in by_place_rows],
        repeated_addresses=[
            (r, named.get(r.jurisdiction),
             figure_url("received", period, place=r.jurisdiction, address=r.address))
            for r in repeated
        ],
        repeated_points=[
            (r, figure_url("received", period, lat=r.latitude, lon=r.longitude))
            for r in trends.repeated_by_point(scope)
        ],
        repeated_parties=[
            (r, figure_url("received", period, party=r.key))
            for r in trends.repeated_by_party(scope)
        ],
        density=_density(request.user, {row.key: row.now for row in by_place_rows}),
        min_repeats=settings.YIMEN_HOTSPOT_MIN_REPEATS,
        map_config={
            "tiles": settings.YIMEN_MAP_TILE_URL,
            "attribution": settings.YIMEN_MAP_TILE_ATTRIBUTION,
        },
    )  # fmt: skip
    return render(request, "dashboard/trends.html", context)
