"""Reading Open311 parameters: an empty parameter is an absent one, dates are W3C.

"Optional means that the response should be the same whether a parameter is passed and is
empty or is not passed at all" (GeoReport v2, Definitions), so every read goes through
``param`` / ``params``.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

# GeoReport v2 GET Service Requests: "may not span more than 90 days"; "first 1000 requests".
MAX_SPAN = timedelta(days=90)
MAX_ROWS = 1000

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


class Refused(Exception):
    """A request answered with an error: ``status`` and one description per problem."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(d) for d in descriptions]


def param(data: Any, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    return value.strip() or None


def params(data: Any, name: str) -> list[str]:
    """A parameter that may be declared several times, each time comma delimited."""
    return [part.strip() for raw in data.getlist(name) for part in raw.split(",") if part.strip()]


def flag(data: Any, name: str) -> bool:
    return (param(data, name) or "").lower() == "true"


def parse_w3c(value: str, *, end_of_day: bool = False) -> datetime:
    """A W3C date or date-time (with its offset); a bare date means the whole day.

    A ``+`` sent unencoded in a query string arrives as a space: it is put back.
    """
    text = value.strip().replace(" ", "+")
    if _DATE.fullmatch(text):
        day = date.fromisoformat(text)
        if end_of_day:
            return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())
        return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    if _DATETIME.fullmatch(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    raise ValueError(text)


def _date_param(data: Any, name: str, *, end_of_day: bool = False) -> datetime | None:
    value = param(data, name)
    if value is None:
        return None
    try:
        return parse_w3c(value, end_of_day=end_of_day)
    except ValueError:
        raise Refused(
            400,
            _("%(name)s: use the W3C date format, e.g. 2026-09-01T00:00:00+08:00.")
            % {"name": name},
        ) from None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(data: Any, now: datetime | None = None) -> Window:
    """``start_date`` … ``end_date``, at most 90 days; by default the most recent 90 days."""
    start = _date_param(data, "start_date")
    end = _date_param(data, "end_date", end_of_day=True)
    if start and end:
        if start > end:
            raise Refused(400, _("start_date must not be after end_date."))
        if end - start > MAX_SPAN:
            raise Refused(400, _("The date range may not span more than 90 days."))
        return Window(start, end)
    if start:
        return Window(start, start + MAX_SPAN)
    if end:
        return Window(end - MAX_SPAN, end)
    now = now or timezone.now()
    return Window(now - MAX_SPAN, now)


def _positive(data: Any, name: str, default: int, maximum: int) -> int:
    value = param(data, name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise Refused(
            400,
            _("%(name)s: a whole number from 1 to %(max)d.") % {"name": name, "max": maximum},
        )
    return int(value)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size


def page(data: Any) -> Page:
    """The ``page`` / ``page_size`` extension; without them, the first 1000 rows."""
    return Page(_positive(data, "page", 1, 10**6), _positive(data, "page_size", MAX_ROWS, MAX_ROWS))
