"""Checks on GeoJSON boundaries of jurisdictions (grids especially).

Shapely does the geometry; this module only says, in the user's language, what is wrong.
"""

from typing import Any

from django.utils.translation import gettext as _
from shapely import make_valid
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

# About one centimetre: shared borders drawn twice never line up to the last digit.
_TOLERANCE = 1e-7


def polygon_problem(geojson: Any) -> str | None:
    """Why this value is not a usable boundary, or None when it is."""
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        return _("The boundary must be a GeoJSON Polygon or MultiPolygon.")
    coords = geojson.get("coordinates")
    polygons = [coords] if geojson["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons or not all(polygons):
        return _("The boundary has no rings.")
    try:
        for rings in polygons:
            for ring in rings:
                if len(ring) < 4:
                    return _("Each ring needs at least four positions.")
                if list(ring[0]) != list(ring[-1]):
                    return _("Each ring must be closed: its last position must equal its first.")
                for lon, lat, *_rest in ring:
                    if not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):
                        return _("Positions must be longitude, latitude in degrees (WGS 84).")
        geometry = shape(geojson)
    except (TypeError, ValueError, IndexError):
        return _("The boundary's coordinates are not a list of rings of positions.")
    if not geometry.is_valid:
        return _("The boundary crosses itself or is otherwise invalid: %(why)s") % {
            "why": explain_validity(geometry)
        }
    return None


def lies_within(inner: dict, outer: dict) -> bool:
    """Whether boundary ``inner`` lies inside ``outer`` (both already checked)."""
    return make_valid(shape(outer)).buffer(_TOLERANCE).covers(shape(inner))


def locate(longitude: float, latitude: float, candidates: Any) -> Any:
    """The deepest node among ``candidates`` (objects with ``polygon`` and ``depth``) whose
    boundary holds the point, or None when the point is outside all of them."""
    point = Point(float(longitude), float(latitude))
    inside = [
        node
        for node in candidates
        if node.polygon and make_valid(shape(node.polygon)).buffer(_TOLERANCE).covers(point)
    ]
    return max(inside, key=lambda node: node.depth, default=None)
