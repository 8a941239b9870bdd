"""Grid boundaries from a GeoJSON FeatureCollection (the survey office's or a drawing tool's).

Each feature names its grid by the property ``code``. The file is checked whole — every
grid known and served by the importer, named once, its boundary a closed ring that does not
cross itself and lies inside its community's boundary when the community has one — and
every bad feature is named. Nothing is written unless all are good; then all are written in
one transaction, each with its audit event.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yimen.audit.services import record
from yimen.cases.workflow import NotAllowed
from yimen.org.geometry import lies_within, polygon_problem
from yimen.org.models import Jurisdiction

from .services import grids_for, may_manage_grids


class BoundaryError(Exception):
    """The file is refused; ``problems`` names every bad feature, in the file's order."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class _Change:
    grid: Jurisdiction
    polygon: dict[str, Any]


def _features(data: bytes) -> list[Any]:
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise BoundaryError([_("The file is not GeoJSON (UTF-8 JSON text).")]) from None
    if not isinstance(collection, dict):
        collection = {}
    features = collection.get("features")
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise BoundaryError([_("The file must be a GeoJSON FeatureCollection.")])
    if not features:
        raise BoundaryError([_("The file has no features.")])
    return features


def _feature_problem(
    feature: Any, grid: Jurisdiction | None, code: str, seen: set[str]
) -> str | None:
    """Why one feature cannot be imported, or None."""
    if not code:
        return _("no property “code” names its grid.")
    if code in seen:
        return _("the grid is named twice in the file.")
    if grid is None:
        return _("no grid with this code in your jurisdiction.")
    geometry = feature.get("geometry")
    if why := polygon_problem(geometry):
        return why
    community = grid.parent
    if community is not None and community.polygon and not lies_within(geometry, community.polygon):
        return _("the boundary lies outside %(community)s.") % {"community": community.name}
    return None


def _plan(features: list[Any], actor: Any) -> list[_Change]:
    grids = {grid.code: grid for grid in grids_for(actor).select_related("parent")}
    changes, problems, seen = [], [], set()
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        code = str((properties or {}).get("code") or "").strip()
        grid = grids.get(code)
        why = _feature_problem(feature if isinstance(feature, dict) else {}, grid, code, seen)
        seen.add(code)
        if why:
            problems.append(
                _("Feature %(n)d (%(code)s): %(why)s")
                % {"n": number, "code": code or "?", "why": why}
            )
        else:
            changes.append(_Change(grid, feature["geometry"]))
    if problems:
        raise BoundaryError(problems)
    return changes


def import_grid_boundaries(data: bytes, *, actor: Any) -> int:
    """Set the boundaries the file gives; how many grids changed (unchanged ones are skipped)."""
    if not may_manage_grids(actor):
        raise NotAllowed(_("Only an administrator or director imports grid boundaries."))
    changes = _plan(_features(data), actor)
    changed = 0
    with transaction.atomic():
        for change in changes:
            grid = Jurisdiction.objects.select_for_update().get(pk=change.grid.pk)
            if grid.polygon == change.polygon:
                continue
            before, grid.polygon = grid.polygon, change.polygon
            grid.save(update_fields=["polygon"])
            record(
                "fieldwork.grid.boundary_imported",
                grid,
                actor=actor,
                changes={"polygon": [before, change.polygon]},
            )
            changed += 1
    return changed
