"""The REST API at ``/api/v1/`` (DESIGN.md §6): thin views over the workflow and the scoping.

Every case is fetched through ``Case.objects.for_user``, so an id outside the caller's
scope is a 404 exactly like an unknown one.
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja import File, Form, Header, NinjaAPI, Query, Status, UploadedFile
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from yimen.cases import workflow as wf
from yimen.cases.attachments import check_upload
from yimen.cases.filters import filter_cases, visible_units
from yimen.cases.models import AttachmentKind, Case, Category
from yimen.org.models import Jurisdiction
from yimen.org.scoping import get_for_user_or_404

from . import errors, schemas
from .actions import ACTIONS, perform
from .intake import create_case
from .serialize import case_detail_data, case_list_data, event_data
from .tokens import user_for_token

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class Utf8JSON(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese text readable as it is


api = NinjaAPI(
    title="Yimen API",
    version="1",
    description="Cases of the one-stop service and dispute-resolution center. "
    "Send a token from `manage.py apitoken USERNAME` as `Authorization: Bearer TOKEN`.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url=None,  # the interactive page would load its scripts from a CDN
    auth=BearerToken(),
    renderer=Utf8JSON(),
)
errors.install(api)

ERRORS = {code: schemas.ErrorOut for code in (400, 401, 403, 404, 409)}


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_for_user_or_404(Case, request.user, pk=case_id)


# --- reference data ------------------------------------------------------------------------


@api.get("/categories", response=schemas.CategoryList, tags=["reference"])
def list_categories(request: HttpRequest) -> dict[str, Any]:
    items = list(Category.objects.filter(is_active=True))
    return {"items": items, "count": len(items)}


@api.get("/jurisdictions", response=schemas.JurisdictionList, tags=["reference"])
def list_jurisdictions(request: HttpRequest) -> dict[str, Any]:
    """The caller's subtree, in tree order."""
    nodes = (
        Jurisdiction.objects.for_user(request.user)
        .select_related("parent")
        .defer("polygon", "parent__polygon")
    )
    items = [
        {"code": n.code, "name": n.name, "level": n.level, "parent": n.parent and n.parent.code}
        for n in nodes
    ]
    return {"items": items, "count": len(items)}


@api.get("/units", response=schemas.UnitList, tags=["reference"])
def list_units(request: HttpRequest) -> dict[str, Any]:
    """Units the caller's cases can be handled by: in their subtree and above it."""
    items = [
        {
            "id": u.pk,
            "name": u.name,
            "kind": u.kind,
            "jurisdiction": u.jurisdiction.code,
            "is_active": u.is_active,
        }
        for u in visible_units(request.user)
    ]
    return {"items": items, "count": len(items)}


# --- cases ---------------------------------------------------------------------------------


@api.post(
    "/cases",
    response={201: schemas.CreatedCaseOut, 200: schemas.CreatedCaseOut, **ERRORS},
    tags=["cases"],
    summary="Register a case",
)
def register(
    request: HttpRequest,
    payload: schemas.CaseIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Any:
    """201 with the case and its tracking code (shown only here, once).

    Sent again with the same ``Idempotency-Key`` and body, the answer is 200 with the same
    case and no tracking code; with the same key and another body, 409.
    """
    created = create_case(request.user, payload, idempotency_key)
    data = {**case_detail_data(created.case, request.user), "tracking_code": created.tracking_code}
    return Status(200 if created.replayed else 201, data)


@api.get("/cases", response={200: schemas.CaseList, 400: schemas.ErrorOut}, tags=["cases"])
def list_cases(
    request: HttpRequest,
    status: str | None = Query(None, description="A status, or `open` for every open one."),
    category: str | None = Query(None, description="A category's code."),
    jurisdiction: str | None = Query(None, description="A jurisdiction's code: its subtree."),
    unit: int | None = Query(None, description="A unit's id: lead or co-handling unit."),
    channel: str | None = None,
    overdue: bool = False,
    q: str | None = Query(None, description="In the receipt number, title or account."),
    received_from: date | None = None,
    received_to: date | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    page: int = Query(1, ge=1),
) -> Any:
    """The cases the caller may see, newest first, filtered and paged."""
    params = {
        "status": status or "",
        "category": category or "",
        "grid": jurisdiction or "",
        "unit": unit or "",
        "channel": channel or "",
        "overdue": overdue,
        "q": q or "",
        "received_from": received_from or "",
        "received_to": received_to or "",
    }
    cases, form = filter_cases(
        Case.objects.for_user(request.user),
        params,
        user=request.user,
        today=timezone.localdate(),
    )
    if form.errors:
        names = {"grid": "jurisdiction"}
        return errors.invalid({names.get(k, k): v[0] for k, v in form.errors.items()})
    cases = cases.order_by("-received_at", "-pk")
    count = cases.count()
    start = (page - 1) * limit
    return {
        "items": case_list_data(cases[start : start + limit]),
        "count": count,
        "page": page,
        "limit": limit,
        "next": _page_url(request, page + 1) if start + limit < count else None,
        "previous": _page_url(request, page - 1) if page > 1 else None,
    }


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@api.get(
    "/cases/{case_id}", response={200: schemas.CaseDetailOut, 404: schemas.ErrorOut}, tags=["cases"]
)
def read_case(request: HttpRequest, case_id: int) -> Any:
    return case_detail_data(_case(request, case_id), request.user)


@api.get(
    "/cases/{case_id}/timeline",
    response={200: schemas.Timeline, 404: schemas.ErrorOut},
    tags=["cases"],
)
def case_timeline(request: HttpRequest, case_id: int) -> Any:
    case = _case(request, case_id)
    items = [event_data(e) for e in case.events.select_related("actor")]
    return {"items": items, "count": len(items)}


@api.post(
    "/cases/{case_id}/attachments", response={201: schemas.CaseDetailOut, **ERRORS}, tags=["cases"]
)
def attach(
    request: HttpRequest,
    case_id: int,
    file: File[UploadedFile],
    kind: Form[AttachmentKind] = AttachmentKind.GENERAL,
) -> Any:
    """Add material (a photo, PDF or Office document), e.g. what an escalation needs."""
    case = _case(request, case_id)
    try:
        check_upload(file)
    except ValidationError as error:
        return errors.invalid({"file": error.messages[0]})
    wf.add_attachments(case, [wf.NewAttachment(file, kind)], actor=request.user)
    return Status(201, case_detail_data(case, request.user))


def _action_view(name: str, body: type[schemas.Body]) -> Any:
    # The body may be left out: every field has a default, and the workflow says what is missing.
    def act(request: HttpRequest, case_id: int, payload: body | None = None) -> Any:
        case = _case(request, case_id)
        perform(name, case, request.user, payload or body())
        case.refresh_from_db()
        return case_detail_data(case, request.user)

    act.__name__ = f"case_{name}"
    with translation.override("en"):
        act.__doc__ = f"{wf.TRANSITIONS[name].label}: answers the case as it is afterwards."
    return act


for _name, _action in ACTIONS.items():
    api.post(
        f"/cases/{{case_id}}/actions/{_name}",
        response={200: schemas.CaseDetailOut, **ERRORS},
        tags=["actions"],
        operation_id=f"case_action_{_name}",
        summary=_name,
    )(_action_view(_name, _action.body))
