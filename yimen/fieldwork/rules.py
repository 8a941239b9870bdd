"""The rules of field work as plain functions of their inputs: no database, no clock.

The forms call them to show every problem at once, the services call them again before
writing, and the tests call them with fixed dates.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from yimen.org.geometry import locate


@dataclass(frozen=True)
class Point:
    """A finding's map point, and the reason given when it lies outside the grid."""

    latitude: Any = None
    longitude: Any = None
    outside_reason: str = ""


def point_outside(grid: Any, latitude: Any, longitude: Any) -> bool:
    """Whether a point lies outside the grid's boundary (never, if either is unknown)."""
    if latitude is None or longitude is None or not grid.polygon:
        return False
    return locate(longitude, latitude, [grid]) is None


def finding_field(index: int, name: str) -> str:
    """The key a finding's problem is filed under: ``finding-2-outside_reason``."""
    return f"finding-{index}-{name}"


def patrol_problems(
    grid: Any, started_at: datetime, ended_at: datetime, points: Sequence[Point]
) -> dict[str, str]:
    """Why a patrol cannot be recorded as it stands, by field; empty when it can.

    A point outside the grid is not refused: workers cross a grid's edge to follow a
    problem. It only needs a reason, so the map of the grid's matters stays honest.
    """
    problems = {}
    if started_at and ended_at and ended_at < started_at:
        problems["ended_at"] = _("The patrol cannot end before it starts.")
    for index, point in enumerate(points):
        if (
            point_outside(grid, point.latitude, point.longitude)
            and not point.outside_reason.strip()
        ):
            problems[finding_field(index, "outside_reason")] = _(
                "This point lies outside %(grid)s. Say why, to record it anyway."
            ) % {"grid": grid.name}
    return problems


def patrol_gap(last_patrol_day: date | None, today: date, days: int) -> bool:
    """巡查空白: no patrol on any of the last ``days`` days, today included (or never)."""
    return last_patrol_day is None or (today - last_patrol_day).days >= days


def routine_period(start: date, days: int) -> tuple[date, date]:
    """A routine screening of ``days`` days from ``start``, both ends included."""
    return start, start + timedelta(days=days - 1)


def next_routine_start(last_routine_end: date | None, today: date) -> date:
    """The day after the last routine screening ended; today when there was none."""
    return last_routine_end + timedelta(days=1) if last_routine_end else today
