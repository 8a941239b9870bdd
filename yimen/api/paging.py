"""Paging and ordering, the same on every list of the API.

A list answers ``{"items", "count", "page", "pages", "limit", "next", "previous"}``, with
``next`` and ``previous`` as full URLs (or null). ``ordering`` takes field names, each with
an optional ``-`` for descending, separated by commas; the primary key always comes last,
so equal values never make a row jump between pages.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query

from yimen.cases import workflow as wf

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Far beyond any real list; it keeps the row offset inside what databases can count.
MAX_PAGE = 1_000_000


def page_param() -> Any:
    return Query(1, ge=1, le=MAX_PAGE, description="The page, from 1.")


def limit_param() -> Any:
    return Query(
        PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, at most {MAX_PAGE_SIZE}."
    )


def ordering_param(choices: Sequence[str], default: str) -> Any:
    names = ", ".join(f"`{name}`" for name in choices)
    one = f"-?({'|'.join(choices)})"
    return Query(
        None,
        description=f"Order by {names}; `-` before a name for descending, several separated "
        f"by commas. By default {default}.",
        pattern=f"^{one}(,{one})*$",
        max_length=200,
    )


def ordering_choices(pattern: str) -> list[str] | None:
    """The names an ``ordering_param``'s pattern allows, or None for another pattern."""
    found = re.fullmatch(r"\^-\?\(([\w|]+)\)\(,-\?\(\1\)\)\*\$", pattern)
    return found.group(1).split("|") if found else None


@dataclass(frozen=True)
class Sort:
    field: str
    nullable: bool = False  # empty values go last either way


def order(
    value: str | None, choices: Mapping[str, Sort], default: Sequence[str | OrderBy]
) -> list[str | OrderBy]:
    """``"-deadline,receipt_number"`` → ``order_by`` arguments; an unknown name is a 400."""
    if not value:
        return list(default)
    terms: list[str | OrderBy] = []
    first_descending = None
    for raw in value.split(","):
        name = raw.strip()
        descending = name.startswith("-")
        sort = choices.get(name[1:] if descending else name)
        if sort is None:
            message = _("Cannot order by “%(name)s”. Choose from: %(choices)s.") % {
                "name": name,
                "choices": ", ".join(choices),
            }
            raise wf.Invalid(message, fields={"ordering": message})
        if first_descending is None:
            first_descending = descending
        expression = F(sort.field)
        nulls = {"nulls_last": True} if sort.nullable else {}
        terms.append(expression.desc(**nulls) if descending else expression.asc(**nulls))
    terms.append("-pk" if first_descending else "pk")
    return terms


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(
    request: HttpRequest, rows: QuerySet | Sequence[Any], page: int, limit: int
) -> dict[str, Any]:
    """One page of ``rows`` and where the others are; ``items`` are the rows themselves."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    pages = max(1, math.ceil(count / limit))
    start = (page - 1) * limit
    return {
        "items": list(rows[start : start + limit]) if start < count else [],
        "count": count,
        "page": page,
        "pages": pages,
        "limit": limit,
        "next": _page_url(request, page + 1) if page < pages else None,
        "previous": _page_url(request, min(page - 1, pages)) if page > 1 else None,
    }
