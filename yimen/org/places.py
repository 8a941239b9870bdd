"""Where a map point lies in the jurisdiction tree (for the portal, Open311, grid reports)."""

from typing import Any

from .geometry import locate
from .models import Jurisdiction


def jurisdiction_at(latitude: Any, longitude: Any, under: Jurisdiction | None = None):
    """The deepest node with a boundary that holds the point (a grid before its community),
    optionally only inside ``under``; None when the point lies outside every boundary."""
    nodes = Jurisdiction.objects.exclude(polygon=None).only("pk", "path", "polygon", "level")
    if under is not None:
        nodes = nodes.filter(path__startswith=under.path)
    return locate(longitude, latitude, nodes)
