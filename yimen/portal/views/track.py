"""/track/: the resident follows their matter, rates the result, asks for re-handling.

A lookup (POST preferred, so codes stay out of access logs; GET with both fields works too)
is rate-limited per IP; a wrong number and a wrong code get the very same 404 page. A
verified case is kept in the session for ``YIMEN_PORTAL_TRACK_SECONDS``, so the rating and
re-handling forms post without the code being typed again; only the session names the case.
The re-handling request itself is never rate-limited: it is the resident's right, limited
only to once per case (DESIGN.md §1).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yimen.cases import workflow
from yimen.cases.models import Case

from ..forms import RatingForm, RehandlingForm, TrackForm, category_label
from ..ratelimit import client_ip, hit, lookups_per_ip
from ..tracking import find_case, handling_case, public_view, tracked_case

TRACKED = "portal.tracked"


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _lookup(request, request.POST)
    if "number" in request.GET and "code" in request.GET:
        return _lookup(request, request.GET)
    case = _verified(request)
    if case is None:
        return _lookup_page(request, TrackForm())
    return _case_page(request, case)


def _lookup(request: HttpRequest, data: dict) -> HttpResponse:
    form = TrackForm(data)
    if not form.is_valid():
        return _lookup_page(request, form, status=400)
    outcome = hit(lookups_per_ip(), client_ip(request))
    if not outcome.allowed:
        response = _lookup_page(
            request, form, status=429, retry_minutes=-(-outcome.retry_after // 60)
        )
        response["Retry-After"] = str(outcome.retry_after)
        return response
    case = find_case(form.cleaned_data["number"], form.cleaned_data["code"])
    if case is None:
        return _lookup_page(request, form, status=404, not_found=True)
    request.session[TRACKED] = {
        "case": case.pk,
        "until": time.time() + settings.YIMEN_PORTAL_TRACK_SECONDS,
    }
    return redirect("portal:track")


def _verified(request: HttpRequest) -> Case | None:
    """The case this session proved it may see, while that proof is fresh."""
    entry = request.session.get(TRACKED)
    if not isinstance(entry, dict) or entry.get("until", 0) < time.time():
        request.session.pop(TRACKED, None)
        return None
    return tracked_case(entry["case"])


def _expired(request: HttpRequest) -> HttpResponse:
    messages.info(
        request,
        _("For your privacy a matter is shown only for a short time. Enter the receipt "
          "number and tracking code again."),
    )  # fmt: skip
    return redirect("portal:track")


@never_cache
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    case = _verified(request)
    if case is None:
        return _expired(request)
    form = RatingForm(request.POST)
    try:
        if not form.is_valid():
            raise workflow.Invalid(_("Nothing was recorded. Please correct the marked fields."))
        workflow.rate_by_resident(
            handling_case(case), form.cleaned_data["satisfaction"], form.cleaned_data["comment"]
        )
    except workflow.WorkflowError as exc:
        return _case_page(request, case, rating_form=form, error=exc)
    messages.success(request, _("Thank you: your rating was recorded."))
    return redirect("portal:track")


@never_cache
@require_POST
def rehandle(request: HttpRequest) -> HttpResponse:
    case = _verified(request)
    if case is None:
        return _expired(request)
    form = RehandlingForm(request.POST)
    try:
        if not form.is_valid():
            raise workflow.Invalid(_("Nothing was recorded. Please correct the marked fields."))
        workflow.request_rehandling_by_resident(handling_case(case), form.cleaned_data["reason"])
    except workflow.WorkflowError as exc:
        return _case_page(request, case, rehandling_form=form, error=exc)
    messages.success(
        request,
        _("Your request was recorded: the matter is handled again, with a new deadline."),
    )
    return redirect("portal:track")


@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    """The resident is done: the matter is no longer shown in this browser."""
    request.session.pop(TRACKED, None)
    return redirect("portal:track")


def _lookup_page(
    request: HttpRequest,
    form: TrackForm,
    *,
    status: int = 200,
    not_found: bool = False,
    retry_minutes: int = 0,
) -> HttpResponse:
    context = {"form": form, "not_found": not_found, "retry_minutes": retry_minutes}
    return render(request, "portal/track.html", context, status=status)


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    rating_form: RatingForm | None = None,
    rehandling_form: RehandlingForm | None = None,
    error: workflow.WorkflowError | None = None,
) -> HttpResponse:
    context = {
        "view": public_view(handling_case(case), category_label, case.receipt_number),
        "rating_form": rating_form or RatingForm(),
        "rehandling_form": rehandling_form or RehandlingForm(),
        "error": error,
        "minutes": settings.YIMEN_PORTAL_TRACK_SECONDS // 60,
    }
    status = error.status if error is not None else 200
    return render(request, "portal/tracked.html", context, status=status)
