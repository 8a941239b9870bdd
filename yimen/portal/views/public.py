"""Pages anyone may read: the privacy notice, the center's statistics, the map's areas."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yimen.dbrouter import reads_may_lag
from yimen.org.models import Jurisdiction, Level

from ..forms import category_label
from ..stats import center_statistics

MAP_LEVELS = (Level.STREET, Level.COMMUNITY, Level.GRID)


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    context = {
        "archive_days": settings.YIMEN_ARCHIVE_AFTER_DAYS,
        "max_photos": settings.YIMEN_PORTAL_MAX_PHOTOS,
    }
    return render(request, "portal/privacy.html", context)


@require_GET
@reads_may_lag()
def stats(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/stats.html", {"stats": center_statistics(category_label)})


@require_GET
def areas(request: HttpRequest) -> JsonResponse:
    """The boundaries of the center's street, communities and grids, with their names.

    Public geography only: no cases, no units, no staff, nothing about people.
    """
    nodes = (
        Jurisdiction.objects.filter(level__in=MAP_LEVELS, polygon__isnull=False)
        .only("pk", "name", "level", "parent_id", "polygon")
        .order_by("path")
    )
    features = [
        {
            "type": "Feature",
            "geometry": node.polygon,
            "properties": {
                "id": node.pk,
                "name": node.name,
                "level": node.level,
                "parent": node.parent_id,
            },
        }
        for node in nodes
    ]
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=300"
    return response
