"""Open311 GeoReport v2 at ``/open311/v2/`` and its discovery document.

Each view answers in the format its URL ends with (``.xml`` or ``.json``); every refusal
is the specification's error list: 404 for what does not exist, 403 for a missing or wrong
api_key, 400 for anything else (GeoReport v2, Errors).
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yimen.cases.models import Case, CaseEvent

from . import formats, intake, parsing
from .keys import client_for_key
from .models import Open311Client, Open311Request, ServiceAttribute
from .parsing import Refused, param
from .present import (
    CLOSED,
    definition_data,
    open311_cases,
    open311_categories,
    public_events,
    request_data,
    services_data,
    update_data,
)

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The discovery changeset when no service definition has changed since: this release.
BASE_CHANGESET = "2026-11-01 00:00"


def open311(*methods: str) -> Callable:
    """Method check, CSRF exemption (clients post with an api_key, not a session) and
    errors in the format asked for. Anything unexpected is the specification's "general
    service error": 400, logged, with code 500 in the body so a client can tell."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
            if request.method not in allowed:
                response = formats.errors(
                    fmt,
                    400,
                    [_("This method is not allowed here: use %(m)s.") % {"m": "/".join(methods)}],
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Refused as refused:
                return formats.errors(fmt, refused.status, refused.descriptions)
            except SuspiciousOperation:  # a body too big, too many fields or files
                return formats.errors(fmt, 400, [_("The request is too large or malformed.")])
            except Exception:
                logger.exception("Open311 error on %s %s", request.method, request.path)
                return formats.errors(fmt, 400, [_("Something went wrong on our side.")], code=500)

        return wrapped

    return decorate


def _client(request: HttpRequest, *, required: bool) -> Open311Client | None:
    """The client whose api_key came with the request. A key that is sent must be valid."""
    # A post carries its key in the body, as the specification shows; a GET in the query.
    key = param(request.POST if request.method == "POST" else request.GET, "api_key")
    if key is None:
        if required:
            raise Refused(403, _("api_key is missing: ask the center for one."))
        return None
    client = client_for_key(key)
    if client is None:
        raise Refused(403, _("Invalid api_key received."))
    return client


# --- discovery -----------------------------------------------------------------------------


def _changeset() -> str:
    latest = ServiceAttribute.objects.order_by("-updated_at").values_list("updated_at", flat=True)
    moment = latest.first()
    changed = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
    return max(changed, BASE_CHANGESET)


@open311("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changeset = _changeset()
    data = {
        "changeset": changeset,
        "contact": _("%(center)s: ask the administrator of its case system.")
        % {"center": settings.YIMEN_CENTER_NAME},
        "key_service": _(
            "api_keys are issued by the center's administrator (manage.py open311_key CLIENT_NAME)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return formats.render(fmt, "discovery", data)


# --- services ------------------------------------------------------------------------------


@open311("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return formats.render(fmt, "services", services_data())


@open311("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = open311_categories().filter(code=code).first()
    if category is None:
        raise Refused(404, _("service_code %(code)s: no such service.") % {"code": code})
    return formats.render(fmt, "service_definition", definition_data(category))


# --- requests ------------------------------------------------------------------------------


@open311("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    client = _client(request, required=False)
    extensions = parsing.flag(request.GET, "extensions")
    cases = _with_notes(open311_cases(), extensions).order_by("-received_at", "-pk")
    ids = parsing.params(request.GET, "service_request_id")
    if ids:  # "This overrides all other arguments."
        cases = cases.filter(receipt_number__in=ids[: parsing.MAX_ROWS])
        selected = list(cases)
    else:
        codes = parsing.params(request.GET, "service_code")
        if codes:
            cases = cases.filter(category__code__in=codes)
        statuses = parsing.params(request.GET, "status")
        if any(s not in ("open", "closed") for s in statuses):
            raise Refused(400, _("status: open or closed (comma delimited)."))
        if set(statuses) == {"open"}:
            cases = cases.exclude(status__in=CLOSED)
        elif set(statuses) == {"closed"}:
            cases = cases.filter(status__in=CLOSED)
        span = parsing.window(request.GET)
        cases = cases.filter(received_at__gte=span.start, received_at__lte=span.end)
        page = parsing.page(request.GET)
        selected = list(cases[page.start : page.start + page.size])
    items = [request_data(c, client, extensions=extensions) for c in selected]
    return formats.render(fmt, "service_requests", items)


def _with_notes(cases: QuerySet[Case], extensions: bool) -> QuerySet[Case]:
    """With extensions, every request's public notes, in one query for the whole page."""
    if not extensions:
        return cases
    notes = CaseEvent.objects.filter(is_public=True).order_by("at", "pk")
    return cases.prefetch_related(Prefetch("events", queryset=notes, to_attr="public_events"))


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _client(request, required=True)
    registered = intake.submit_request(client, request.POST, request.FILES)
    case = registered.case
    notice = _(
        "Receipt number %(number)s, tracking code %(code)s: follow the matter at %(url)s. "
        "The center calls back on the phone number given."
    ) % {
        "number": case.receipt_number,
        "code": registered.tracking_code,
        "url": request.build_absolute_uri("/track/"),
    }
    item = {"service_request_id": case.receipt_number, "service_notice": notice}
    return formats.render(fmt, "service_requests", [item])


@open311("GET")
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    client = _client(request, required=False)
    extensions = parsing.flag(request.GET, "extensions")
    case = _with_notes(open311_cases(), extensions).filter(receipt_number=request_id).first()
    if case is None:
        raise Refused(404, _("service_request_id %(id)s: no such request.") % {"id": request_id})
    # Still a list of one, as the specification shows it.
    return formats.render(
        fmt, "service_requests", [request_data(case, client, extensions=extensions)]
    )


@open311("GET")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """Yimen registers at once (``type`` realtime), so POST answers with the
    service_request_id; the token of every request still leads to it."""
    found = Open311Request.objects.select_related("case").filter(token=token).first()
    if found is None:
        raise Refused(404, _("token %(token)s: no such token.") % {"token": token})
    item = {"service_request_id": found.case.receipt_number, "token": found.token}
    return formats.render(fmt, "service_requests", [item])


# --- updates (mySociety's extension, as FixMyStreet uses it) -------------------------------


@open311("GET", "POST")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        client = _client(request, required=True)
        event = intake.post_update(client, request.POST)
        return formats.render(fmt, "service_request_updates", [{"update_id": str(event.pk)}])
    client = _client(request, required=False)
    span = parsing.window(request.GET)
    page = parsing.page(request.GET)
    events = public_events().filter(at__gte=span.start, at__lte=span.end).order_by("at", "pk")
    items = [update_data(e, client) for e in events[page.start : page.start + page.size]]
    return formats.render(fmt, "service_request_updates", items)


# --- anything else -------------------------------------------------------------------------


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    fmt = formats.JSON if rest.endswith(".json") else formats.XML
    return formats.errors(fmt, 404, [_("There is nothing at this address.")])
