"""Reporting a matter without an account, and the receipt shown once afterwards.

The order of the checks keeps the cheap ones first: the honeypot, the form (a mistake costs
the resident nothing), then the rate limits (only a complete report counts), then the photos
are decoded and resized, then ``workflow.submit_online`` writes everything in one
transaction. Any refusal redraws the form with what was typed; nothing is half-created.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from yimen.cases import workflow

from ..forms import ReportForm, category_label
from ..photos import resized_jpeg
from ..ratelimit import client_ip, hit, phone_key, submissions_per_ip, submissions_per_phone

RECEIPT = "portal.receipt"  # the number and code, until the receipt page shows them once
LAST_NUMBER = "portal.last_receipt_number"
TITLE_LENGTH = 30
# submit_online's field names → the report form's
FORM_FIELD = {"title": "description", "jurisdiction": "community"}


def title_from(description: str) -> str:
    """A title for the case lists: the account's first line, shortened."""
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, ReportForm())
    form = ReportForm(request.POST, request.FILES)
    if form.is_robot:
        return render(request, "portal/refused.html", status=400)
    chosen = [f.name for f in request.FILES.getlist("photos")]
    if not form.is_valid():
        return _render(request, form, chosen, status=400)
    data = form.cleaned_data

    for limit, who in (
        (submissions_per_ip(), client_ip(request)),
        (submissions_per_phone(), phone_key(data["phone"])),
    ):
        outcome = hit(limit, who)
        if not outcome.allowed:
            response = _render(
                request, form, chosen, status=429, retry_minutes=-(-outcome.retry_after // 60)
            )
            response["Retry-After"] = str(outcome.retry_after)
            return response

    try:
        photos = [workflow.NewAttachment(resized_jpeg(upload)) for upload in data["photos"]]
    except ValidationError as exc:
        form.add_error("photos", exc)
        return _render(request, form, chosen, status=400)

    try:
        registered = workflow.submit_online(
            title=title_from(data["description"]),
            description=data["description"],
            category=data["category"],
            jurisdiction=data["jurisdiction"],
            phone=data["phone"],
            name=data["name"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            attachments=photos,
            about_unit=data["about_unit"],
            source="portal",
        )
    except workflow.WorkflowError as exc:
        for field, message in exc.fields.items():
            name = FORM_FIELD.get(field, field)
            form.add_error(name if name in form.fields else None, message)
        if not exc.fields:
            form.add_error(None, exc.message)
        return _render(request, form, chosen, status=exc.status)

    case = registered.case
    request.session[RECEIPT] = {
        "number": case.receipt_number,
        "code": registered.tracking_code,
        "received_at": timezone.localtime(case.received_at).strftime("%Y-%m-%d %H:%M"),
        "category": category_label(case.category),
    }
    return redirect("portal:done")


def _render(
    request: HttpRequest,
    form: ReportForm,
    files_to_choose_again: list[str] | None = None,
    *,
    status: int = 200,
    retry_minutes: int = 0,
) -> HttpResponse:
    context = {
        "form": form,
        "files_to_choose_again": files_to_choose_again if form.is_bound else [],
        "retry_minutes": retry_minutes,
        "map_config": {
            "areas": reverse("portal:areas"),
            "tiles": settings.YIMEN_MAP_TILE_URL,
            "attribution": settings.YIMEN_MAP_TILE_ATTRIBUTION,
            "text": {
                "marked": _("Marked: %(place)s") % {"place": "{place}"},
                "markedNowhere": _("Marked on the map."),
                "outside": _(
                    "That point is outside the center's area. Tap inside the outlined area."
                ),
                "locating": _("Finding your position…"),
                "locateFailed": _("Your position could not be found. Tap the map instead."),
            },
        },
    }
    return render(request, "portal/report.html", context, status=status)


@never_cache
def done(request: HttpRequest) -> HttpResponse:
    """The receipt: number and tracking code, printable; the code only this once."""
    receipt: dict[str, Any] | None = request.session.pop(RECEIPT, None)
    if receipt is not None:
        request.session[LAST_NUMBER] = receipt["number"]
    context = {
        "receipt": receipt,
        "last_number": request.session.get(LAST_NUMBER, ""),
        "track_url": request.build_absolute_uri(reverse("portal:track")),
    }
    return render(request, "portal/done.html", context)
