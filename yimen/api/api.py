"""The REST API at ``/api/v1/`` (DESIGN.md §6): thin views over the workflow and the scoping.

Every case is fetched through ``Case.objects.for_user``, so an id outside the caller's
scope is a 404 exactly like an unknown one. Reference data is in ``reference``, a case's
files in ``attachments``; what all operations share in the document is in ``openapi``.
"""

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from ninja import Header, Query, Status
from ninja.renderers import JSONRenderer

from yimen.cases import workflow as wf
from yimen.cases.filters import OPEN_STATUSES, filter_cases
from yimen.cases.models import Case, Channel
from yimen.cases.models import Status as CaseStatus
from yimen.org.scoping import get_for_user_or_404
from yimen.search.query import RANKED_ORDER, is_ranked

from . import attachments, conditional, errors, reference, schemas
from .actions import ACTIONS, perform
from .auth import BearerToken, PerAccountRate
from .intake import create_case
from .openapi import YimenAPI
from .paging import Sort, limit_param, order, ordering_param, page_param, paginate
from .serialize import case_detail_data, case_list_data, event_data, for_case_list


class Utf8JSON(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese text readable as it is


DESCRIPTION = """\
Cases of the one-stop service and dispute-resolution center.

- **Token**: send one from `manage.py apitoken USERNAME` as `Authorization: Bearer TOKEN`.
  Each token acts as its staff account and sees what that account sees.
- **Errors** answer `{"error": {"code", "message", "fields"}}`, the message in the
  language of `Accept-Language` (Chinese by default).
- **Lists** take `page` (from 1) and `limit` (at most 100) and answer `items`, `count`,
  `page`, `pages`, `limit` and the `next` and `previous` pages' URLs. Where a list has
  `ordering`, give field names with `-` for descending, separated by commas.
- **ETags**: every read answers an `ETag`; send it back as `If-None-Match` for a 304 when
  nothing changed. An action takes `If-Match` with the case's ETag and answers 412 if the
  case changed since.
- **Registering** honours `Idempotency-Key`: a retry with the same key and body gets the
  same case.
- **Rate**: too many calls from one account answer 429 with `Retry-After`.
"""

api = YimenAPI(
    title="Yimen API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url=None,  # the interactive page would load its scripts from a CDN
    auth=BearerToken(),
    throttle=PerAccountRate(),
    renderer=Utf8JSON(),
)
errors.install(api)
api.add_router("", reference.router)
api.add_router("", attachments.router)

CASE_ORDERING = {
    "received_at": Sort("received_at"),
    "deadline": Sort("deadline", nullable=True),
    "receipt_number": Sort("receipt_number"),
    "status": Sort("status"),
}
StatusFilter = Literal[(OPEN_STATUSES, *CaseStatus.values)]


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_for_user_or_404(Case, request.user, pk=case_id)


def _case_url(request: HttpRequest, case: Case) -> str:
    return request.build_absolute_uri(reverse("api:read_case", kwargs={"case_id": case.pk}))


# --- cases ---------------------------------------------------------------------------------


@api.post(
    "/cases",
    response={
        201: schemas.CreatedCaseOut,
        200: schemas.CreatedCaseOut,
        **schemas.errors(400, 403, 409),
    },
    tags=["cases"],
    summary="Register a case",
    openapi_extra={
        "responses": {
            code: {"headers": {"Location": {"schema": {"type": "string"}}}}
            for code in ("200", "201")
        }
    },
)
def register_case(
    request: HttpRequest,
    response: HttpResponse,
    payload: schemas.CaseIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="Any unique string per new case (e.g. a UUID), at most 255 characters.",
    ),
) -> Any:
    """201 with the case and its tracking code (shown only here, once).

    Sent again with the same ``Idempotency-Key`` and body, the answer is 200 with the same
    case and no tracking code; with the same key and another body, 409.
    """
    created = create_case(request.user, payload, idempotency_key)
    data = {**case_detail_data(created.case, request), "tracking_code": created.tracking_code}
    response["Location"] = _case_url(request, created.case)
    return Status(200 if created.replayed else 201, data)


@api.get("/cases", response={200: schemas.CaseList, **schemas.errors(400)}, tags=["cases"])
def list_cases(
    request: HttpRequest,
    response: HttpResponse,
    status: StatusFilter | None = Query(
        None, description="A status, or `open` for every open one."
    ),
    category: str | None = Query(None, description="A category's code."),
    jurisdiction: str | None = Query(None, description="A jurisdiction's code: its subtree."),
    unit: schemas.Id | None = Query(None, description="A unit's id: lead or co-handling unit."),
    channel: Channel | None = None,
    overdue: bool = Query(False, description="Only open cases past their deadline."),
    q: str | None = Query(
        None,
        description="Words in the title, account, result or timeline notes (Chinese is cut "
        "into words), or a receipt number. Without `ordering`, best matches come first.",
    ),
    received_from: date | None = Query(None, description="Received on or after (local date)."),
    received_to: date | None = Query(None, description="Received on or before (local date)."),
    ordering: str | None = ordering_param(list(CASE_ORDERING), "`-received_at` (newest first)"),
    page: int = page_param(),
    limit: int = limit_param(),
) -> Any:
    """The cases the caller may see, filtered, ordered and paged."""
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
    newest = RANKED_ORDER if is_ranked(cases) else ["-received_at", "-pk"]
    cases = cases.order_by(*order(ordering, CASE_ORDERING, newest))
    data = paginate(request, for_case_list(cases), page, limit)
    data["items"] = case_list_data(data["items"])
    return conditional.read(request, response, data)


@api.get(
    "/cases/{int:case_id}",
    response={200: schemas.CaseDetailOut, **schemas.errors(404)},
    tags=["cases"],
)
def read_case(request: HttpRequest, response: HttpResponse, case_id: int) -> Any:
    """The case with what the caller may do now; its ETag is what ``If-Match`` takes."""
    return conditional.read(request, response, case_detail_data(_case(request, case_id), request))


@api.get(
    "/cases/{int:case_id}/timeline",
    response={200: schemas.Timeline, **schemas.errors(400, 404)},
    tags=["cases"],
)
def read_case_timeline(
    request: HttpRequest,
    response: HttpResponse,
    case_id: int,
    page: int = page_param(),
    limit: int = limit_param(),
) -> Any:
    """The case's timeline, oldest first."""
    case = _case(request, case_id)
    data = paginate(request, case.events.select_related("actor"), page, limit)
    data["items"] = [event_data(e) for e in data["items"]]
    return conditional.read(request, response, data)


# --- actions -------------------------------------------------------------------------------


def _action_view(name: str, body: type[schemas.Body]) -> Any:
    # The body may be left out: every field has a default, and the workflow says what is missing.
    def act(
        request: HttpRequest,
        response: HttpResponse,
        case_id: int,
        payload: body | None = None,
        if_match: str | None = Header(
            None,
            alias="If-Match",
            description="The case's ETag as last read: 412 if it has changed since.",
        ),
    ) -> Any:
        case = _case(request, case_id)
        if if_match is not None:
            # A caller who may not act at all hears that, not that their copy is stale.
            wf.check_action(name, case, request.user)
            conditional.check_if_match(if_match, case_detail_data(case, request))
        perform(name, case, request.user, payload or body())
        case.refresh_from_db()
        data = case_detail_data(case, request)
        response["ETag"] = conditional.etag_for(data)
        return data

    act.__name__ = f"case_action_{name}"
    with translation.override("en"):
        act.__doc__ = f"{wf.TRANSITIONS[name].label}: answers the case as it is afterwards."
    return act


for _name, _action in ACTIONS.items():
    api.post(
        f"/cases/{{int:case_id}}/actions/{_name}",
        response={200: schemas.CaseDetailOut, **schemas.errors(400, 403, 404, 409, 412)},
        tags=["actions"],
        summary=_name,
        openapi_extra={
            "responses": {
                "200": {"headers": {"ETag": {"schema": {"type": "string"}}}},
            }
        },
    )(_action_view(_name, _action.body))
