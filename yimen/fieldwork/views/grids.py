"""The field-work overview, a grid's page, the map and its layers, and grid upkeep.

Every layer of the map is a JSON endpoint scoped to the user like the pages: another
community's grids, cases and hazards never reach the browser.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yimen.cases.models import Case, Category
from yimen.cases.workflow import OPEN, WorkflowError
from yimen.org.models import Jurisdiction, Level
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404
from yimen.safety.models import OUTSTANDING, Hazard
from yimen.safety.services import open_hazards_geojson

from ..boundaries import BoundaryError, import_grid_boundaries
from ..forms import AssignWorkerForm, BoundaryImportForm
from ..models import CampaignGrid, Patrol
from ..services import (
    assign_worker,
    grid_overview,
    grids_for,
    may_log_patrol,
    may_manage_grids,
    patrols_with_findings,
)
from . import place_errors

RECENT = 10
MAP_CASES = 2000  # the most recent open cases with a point; a map of more is unreadable


@require(staff)
def index(request: HttpRequest) -> HttpResponse:
    """The user's grids with who answers for them, their last patrol and gap flags."""
    user = request.user
    rows = grid_overview(user, timezone.localdate())
    waiting = (
        CampaignGrid.objects.for_user(user)
        .filter(reported_at__isnull=True, campaign__starts_on__lte=timezone.localdate())
        .select_related("campaign", "grid")
        .order_by("campaign__ends_on", "grid__path")
    )
    context = {
        "rows": rows,
        "gaps": sum(1 for row in rows if row.gap),
        "gap_days": settings.YIMEN_PATROL_GAP_DAYS,
        "waiting": waiting,
        "may_log": may_log_patrol(user),
        "may_manage": may_manage_grids(user),
    }
    return render(request, "fieldwork/index.html", context)


def _grid(request: HttpRequest, pk: int) -> Jurisdiction:
    return get_for_user_or_404(Jurisdiction, request.user, pk=pk, level=Level.GRID)


def _open_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.for_user(user).filter(status__in=OPEN)


@require(staff)
def grid_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A grid: its open matters, recent patrols, open hazards and screening reports."""
    user = request.user
    grid = _grid(request, pk)
    return _render_grid(request, grid, AssignWorkerForm(user=user))


def _render_grid(
    request: HttpRequest, grid: Jurisdiction, form: AssignWorkerForm, status: int = 200
) -> HttpResponse:
    user = request.user
    context = {
        "grid": grid,
        "worker": getattr(getattr(grid, "assignment", None), "worker", None),
        "cases": _open_cases(user)
        .filter(jurisdiction=grid)
        .select_related("category")
        .order_by("-received_at"),
        "patrols": patrols_with_findings(Patrol.objects.for_user(user).filter(grid=grid))[:RECENT],
        "hazards": Hazard.objects.for_user(user).filter(jurisdiction=grid, status__in=OUTSTANDING),
        "reports": CampaignGrid.objects.for_user(user)
        .filter(grid=grid)
        .select_related("campaign", "reported_by")
        .prefetch_related("findings__case")
        .order_by("-campaign__starts_on")[:RECENT],
        "form": form if may_manage_grids(user) else None,
    }
    return render(request, "fieldwork/grid.html", context, status=status)


@require(staff)
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    grid = _grid(request, pk)
    if not may_manage_grids(request.user):
        raise PermissionDenied
    form = AssignWorkerForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            assign_worker(grid, actor=request.user, worker=form.cleaned_data["worker"])
        except WorkflowError as error:
            place_errors(error, form)
        else:
            messages.success(request, _("The grid worker is named."))
            return redirect("fieldwork:grid", grid.pk)
    return _render_grid(request, grid, form, status=400)


@require(staff)
def import_boundaries(request: HttpRequest) -> HttpResponse:
    """Grid boundaries from a GeoJSON file: all of them, or none with every problem named."""
    if not may_manage_grids(request.user):
        raise PermissionDenied
    form = BoundaryImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            changed = import_grid_boundaries(form.cleaned_data["file"], actor=request.user)
        except BoundaryError as error:
            problems = error.problems
        else:
            messages.success(request, _("%(n)d grid boundaries were changed.") % {"n": changed})
            return redirect("fieldwork:index")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "problems": problems}
    return render(request, "fieldwork/import.html", context, status=status)


# --- the map ----------------------------------------------------------------------------------


@require(staff)
def map_page(request: HttpRequest) -> HttpResponse:
    config = {
        "layers": {
            "grids": reverse("fieldwork:map_grids"),
            "cases": reverse("fieldwork:map_cases"),
            "hazards": reverse("fieldwork:map_hazards"),
        },
        "tiles": settings.YIMEN_MAP_TILE_URL,
        "attribution": settings.YIMEN_MAP_TILE_ATTRIBUTION,
        "text": {
            "worker": _("Grid worker"),
            "none": _("no grid worker named"),
            "truncated": _("Only the %(n)d most recent open cases are shown.") % {"n": MAP_CASES},
        },
    }
    context = {
        "config": config,
        "categories": Category.objects.filter(is_active=True),
        "grids": grids_for(request.user).select_related("assignment__worker"),
    }
    return render(request, "fieldwork/map.html", context)


def _geojson(features: list[dict[str, Any]], **extra: Any) -> JsonResponse:
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features, **extra},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require(staff)
@require_GET
def map_grids(request: HttpRequest) -> JsonResponse:
    """The user's grids with a boundary: name, code and who answers for each."""
    grids = grids_for(request.user).exclude(polygon=None).select_related("assignment__worker")
    features = []
    for grid in grids:
        assignment = getattr(grid, "assignment", None)
        properties = {
            "id": grid.pk,
            "code": grid.code,
            "name": grid.name,
            "worker": str(assignment.worker) if assignment else "",
            "url": reverse("fieldwork:grid", args=[grid.pk]),
        }
        features.append({"type": "Feature", "geometry": grid.polygon, "properties": properties})
    return _geojson(features)


@require(staff)
@require_GET
def map_cases(request: HttpRequest) -> JsonResponse:
    """Open cases with a map point the user may see, optionally of one category.

    The matter only — number, title, category, status — never its parties.
    """
    cases = _open_cases(request.user).filter(latitude__isnull=False, longitude__isnull=False)
    category = request.GET.get("category", "")
    if category:
        cases = cases.filter(category__code=category)
    cases = cases.select_related("category").order_by("-received_at")
    chosen = list(cases[: MAP_CASES + 1])
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [float(case.longitude), float(case.latitude)],
            },
            "properties": {
                "id": case.pk,
                "number": case.receipt_number,
                "title": case.title,
                "category": case.category.name,
                "status": case.get_status_display(),
                "urgent": case.is_urgent,
                "url": reverse("cases:detail", args=[case.pk]),
            },
        }
        for case in chosen[:MAP_CASES]
    ]
    return _geojson(features, truncated=len(chosen) > MAP_CASES)


@require(staff)
@require_GET
def map_hazards(request: HttpRequest) -> JsonResponse:
    """Hazards not yet signed off, as public safety draws them for the user."""
    collection = open_hazards_geojson(request.user)
    return _geojson(collection["features"])


urlpatterns = [
    path("", index, name="index"),
    path("grids/<int:pk>/", grid_page, name="grid"),
    path("grids/<int:pk>/worker/", assign, name="assign"),
    path("grids/import/", import_boundaries, name="import"),
    path("map/", map_page, name="map"),
    path("map/grids.geojson", map_grids, name="map_grids"),
    path("map/cases.geojson", map_cases, name="map_cases"),
    path("map/hazards.geojson", map_hazards, name="map_hazards"),
]
