"""Reference data: categories, the caller's part of the jurisdiction tree, and units.

Jurisdictions are the caller's subtree; units are those the caller's cases can be handled
by (in the subtree and above it). Anything else is as unknown as a code that does not exist.
"""

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from yimen.cases import workflow as wf
from yimen.cases.filters import visible_units
from yimen.cases.models import Category
from yimen.org.models import Jurisdiction, Level, UnitKind

from . import conditional, schemas
from .paging import Sort, limit_param, order, ordering_param, page_param, paginate
from .serialize import category_data, jurisdiction_data, unit_data

router = Router(tags=["reference"])

CATEGORY_ORDERING = {"position": Sort("position"), "code": Sort("code"), "name": Sort("name")}
JURISDICTION_ORDERING = {"path": Sort("path"), "code": Sort("code"), "name": Sort("name")}
UNIT_ORDERING = {"name": Sort("name"), "kind": Sort("kind"), "id": Sort("pk")}


def _plain(code: str) -> bool:
    return "\x00" not in code  # PostgreSQL cannot compare a NUL character


def _node(user: Any, code: str, field: str) -> Jurisdiction:
    """A node of the caller's subtree by code, or a 400 naming ``field``."""
    node = Jurisdiction.objects.for_user(user).defer("polygon").filter(code=code).first()
    if node is None:
        message = _("No place with this code in your jurisdiction.")
        raise wf.Invalid(message, fields={field: message})
    return node


@router.get("/categories", response={200: schemas.CategoryList, **schemas.errors(400)})
def list_categories(
    request: HttpRequest,
    response: HttpResponse,
    q: schemas.SearchText | None = Query(None, description="In the code or the name."),
    dispute: bool | None = Query(None, description="Only disputes (true) or only others."),
    ordering: str | None = ordering_param(list(CATEGORY_ORDERING), "`position`"),
    page: int = page_param(),
    limit: int = limit_param(),
) -> Any:
    """The kinds of matter a case can be registered under (the active ones)."""
    categories = Category.objects.filter(is_active=True)
    if q:
        categories = categories.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q)
        )
    if dispute is not None:
        categories = categories.filter(is_dispute=dispute)
    categories = categories.order_by(*order(ordering, CATEGORY_ORDERING, ["position", "code"]))
    data = paginate(request, categories, page, limit)
    data["items"] = [category_data(c) for c in data["items"]]
    return conditional.read(request, response, data)


@router.get("/categories/{code}", response={200: schemas.CategoryOut, **schemas.errors(404)})
def read_category(request: HttpRequest, response: HttpResponse, code: str) -> Any:
    """One category, also one no longer offered (older cases may name it)."""
    category = Category.objects.filter(code=code).first() if _plain(code) else None
    if category is None:
        raise Http404
    return conditional.read(request, response, category_data(category))


@router.get("/jurisdictions", response={200: schemas.JurisdictionList, **schemas.errors(400)})
def list_jurisdictions(
    request: HttpRequest,
    response: HttpResponse,
    level: Level | None = None,
    parent: schemas.Code | None = Query(None, description="A code: only its direct children."),
    q: schemas.SearchText | None = Query(None, description="In the code or the name."),
    ordering: str | None = ordering_param(list(JURISDICTION_ORDERING), "`path` (tree order)"),
    page: int = page_param(),
    limit: int = limit_param(),
) -> Any:
    """The caller's subtree, in tree order unless asked otherwise."""
    nodes = (
        Jurisdiction.objects.for_user(request.user)
        .select_related("parent")
        .defer("polygon", "parent__polygon")
    )
    if level:
        nodes = nodes.filter(level=level)
    if parent:
        nodes = nodes.filter(parent=_node(request.user, parent, "parent"))
    if q:
        nodes = nodes.filter(Q(code__icontains=q) | Q(name__icontains=q))
    nodes = nodes.order_by(*order(ordering, JURISDICTION_ORDERING, ["path"]))
    data = paginate(request, nodes, page, limit)
    data["items"] = [jurisdiction_data(n) for n in data["items"]]
    return conditional.read(request, response, data)


@router.get("/jurisdictions/{code}", response={200: schemas.JurisdictionOut, **schemas.errors(404)})
def read_jurisdiction(request: HttpRequest, response: HttpResponse, code: str) -> Any:
    node = (
        Jurisdiction.objects.for_user(request.user)
        .select_related("parent")
        .defer("polygon", "parent__polygon")
        .filter(code=code)
        .first()
        if _plain(code)
        else None
    )
    if node is None:
        raise Http404
    return conditional.read(request, response, jurisdiction_data(node))


@router.get("/units", response={200: schemas.UnitList, **schemas.errors(400)})
def list_units(
    request: HttpRequest,
    response: HttpResponse,
    kind: UnitKind | None = None,
    jurisdiction: schemas.Code | None = Query(
        None, description="A code: the units placed there or below it."
    ),
    level: Level | None = Query(None, description="The level of the unit's place."),
    q: schemas.SearchText | None = Query(None, description="In the name."),
    active: bool | None = Query(None, description="Only active (true) or inactive units."),
    ordering: str | None = ordering_param(list(UNIT_ORDERING), "place in the tree, then name"),
    page: int = page_param(),
    limit: int = limit_param(),
) -> Any:
    """Units the caller's cases can be handled by: in their subtree and above it."""
    units = visible_units(request.user)
    if kind:
        units = units.filter(kind=kind)
    if jurisdiction:
        node = _node(request.user, jurisdiction, "jurisdiction")
        units = units.filter(jurisdiction__path__startswith=node.path)
    if level:
        units = units.filter(jurisdiction__level=level)
    if q:
        units = units.filter(name__icontains=q)
    if active is not None:
        units = units.filter(is_active=active)
    default = ["jurisdiction__path", "name", "pk"]
    units = units.order_by(*order(ordering, UNIT_ORDERING, default))
    data = paginate(request, units, page, limit)
    data["items"] = [unit_data(u) for u in data["items"]]
    return conditional.read(request, response, data)


@router.get("/units/{int:unit_id}", response={200: schemas.UnitOut, **schemas.errors(404)})
def read_unit(request: HttpRequest, response: HttpResponse, unit_id: int) -> Any:
    unit = visible_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return conditional.read(request, response, unit_data(unit))
