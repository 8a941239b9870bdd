"""Patrol logs: the phone form, the lists per worker and per grid, a patrol's page, and a
recorded finding turned into a case or a hazard in one step."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases.workflow import WorkflowError
from yimen.files import private_file
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404
from yimen.portal.photos import resized_jpeg

from .. import services
from ..forms import FindingFormSet, PatrolFilterForm, PatrolForm, RaiseCaseForm
from ..models import Finding, FindingPhoto, Patrol
from . import place_errors

PAGE = 100


def _key(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _made_before(request: HttpRequest) -> Patrol | None:
    """The patrol this form already made (sent again after a lost network), before any
    photo is decoded again; a key of someone else's is refused by ``log_patrol`` below."""
    try:
        return services.patrol_made_with(_key(request.POST.get("client_key")), request.user)
    except WorkflowError:
        return None


def _filled(findings: Any) -> list[Any]:
    """The finding forms something was entered in; untouched blank ones are skipped."""
    return [form for form in findings.forms if form.has_changed()]


def _new_finding(form: Any) -> services.NewFinding:
    """A finding from its form, its photos re-encoded; a photo that cannot be read is
    refused on its own form (ValidationError)."""
    data = form.cleaned_data
    try:
        photos = [resized_jpeg(upload) for upload in data["photos"]]
    except ValidationError as exc:
        form.add_error("photos", exc)
        raise
    return services.NewFinding(
        text=data["text"],
        latitude=data["latitude"],
        longitude=data["longitude"],
        outside_reason=data["outside_reason"],
        photos=photos,
        becomes=data["becomes"],
        category=data["category"],
    )


def _map_config(user: Any) -> dict[str, Any]:
    """What the finding maps draw: each of the user's grids' boundary, by id."""
    return {
        "grids": {
            str(pk): polygon
            for pk, polygon in services.grids_for(user)
            .exclude(polygon=None)
            .values_list("pk", "polygon")
        },
        "tiles": settings.YIMEN_MAP_TILE_URL,
        "attribution": settings.YIMEN_MAP_TILE_ATTRIBUTION,
        "text": {
            "outside": _("This point lies outside the grid: say why below."),
            "locateFailed": _("Your position could not be found. Tap the map instead."),
        },
    }


@require(staff)
def patrol_new(request: HttpRequest) -> HttpResponse:
    """巡查记录 on a phone: when, which grid, what was checked, and what was found."""
    user = request.user
    if not services.may_log_patrol(user):
        raise PermissionDenied
    if request.method == "POST" and (known := _made_before(request)):
        return redirect("fieldwork:patrol", known.pk)
    form = PatrolForm(request.POST or None, user=user)
    findings = FindingFormSet(request.POST or None, request.FILES or None, prefix="findings")
    if request.method == "POST" and form.is_valid() and findings.is_valid():
        filled = _filled(findings)
        try:
            data = form.cleaned_data
            patrol = services.log_patrol(
                services.NewPatrol(
                    grid=data["grid"],
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    checked=data["checked"],
                    findings=[_new_finding(f) for f in filled],
                ),
                actor=user,
                client_key=data["client_key"],
            )
        except ValidationError:
            pass  # already shown on the finding's photos
        except WorkflowError as error:
            place_errors(error, form, filled)
        else:
            messages.success(request, _("The patrol is logged."))
            return redirect("fieldwork:patrol", patrol.pk)
    context = {
        "form": form,
        "findings": findings,
        "map_config": _map_config(user),
        "files_to_choose_again": [f.name for _n, files in request.FILES.lists() for f in files],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "fieldwork/patrol_form.html", context, status=status)


@require(staff)
def patrol_list(request: HttpRequest) -> HttpResponse:
    """The patrols the user may see, per grid or per worker, newest first."""
    user = request.user
    form = PatrolFilterForm(request.GET or None, user=user)
    patrols = Patrol.objects.for_user(user)
    if form.is_valid():
        if form.cleaned_data["grid"]:
            patrols = patrols.filter(grid=form.cleaned_data["grid"])
        if form.cleaned_data["worker"]:
            patrols = patrols.filter(worker=form.cleaned_data["worker"])
    context = {
        "form": form,
        "patrols": services.patrols_with_findings(patrols)[:PAGE],
        "may_log": services.may_log_patrol(user),
    }
    return render(request, "fieldwork/patrols.html", context)


def _patrol(request: HttpRequest, pk: int) -> Patrol:
    return get_for_user_or_404(Patrol, request.user, pk=pk)


@require(staff)
def patrol_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_patrol(request, _patrol(request, pk))


def _render_patrol(
    request: HttpRequest,
    patrol: Patrol,
    bound: tuple[int, RaiseCaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    findings = list(patrol.findings.select_related("case", "hazard").prefetch_related("photos"))
    for finding in findings:
        finding.raise_form = (
            bound[1] if bound and bound[0] == finding.pk else RaiseCaseForm(prefix=f"f{finding.pk}")
        )
    context = {
        "patrol": patrol,
        "findings": findings,
        "may_raise": services.may_raise_from(request.user, findings[0]) if findings else False,
    }
    return render(request, "fieldwork/patrol.html", context, status=status)


def _finding(request: HttpRequest, pk: int) -> Finding:
    return get_for_user_or_404(Finding, request.user, pk=pk)


@require(staff)
@require_POST
def raise_case(request: HttpRequest, pk: int) -> HttpResponse:
    """A recorded finding becomes a case (a grid report waiting to be routed)."""
    finding = _finding(request, pk)
    form = RaiseCaseForm(request.POST, prefix=f"f{finding.pk}")
    if form.is_valid():
        try:
            case = services.finding_to_case(
                finding, actor=request.user, category=form.cleaned_data["category"]
            )
        except WorkflowError as error:
            place_errors(error, form)
        else:
            messages.success(
                request,
                _("Case %(n)s is registered from the finding.") % {"n": case.receipt_number},
            )
            return redirect("fieldwork:patrol", finding.patrol_id)
    return _render_patrol(request, finding.patrol, (finding.pk, form), status=400)


@require(staff)
@require_POST
def raise_hazard(request: HttpRequest, pk: int) -> HttpResponse:
    """A recorded finding becomes a hazard for public safety."""
    finding = _finding(request, pk)
    try:
        hazard = services.finding_to_hazard(finding, actor=request.user)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Hazard %(n)s is reported from the finding.") % {"n": hazard.number}
        )
    return redirect("fieldwork:patrol", finding.patrol_id)


@require(staff)
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A finding's photo, for those who may see its patrol."""
    item = get_for_user_or_404(FindingPhoto, request.user, pk=pk)
    return private_file(item.file, "image/jpeg")


urlpatterns = [
    path("patrols/", patrol_list, name="patrols"),
    path("patrols/new/", patrol_new, name="patrol_new"),
    path("patrols/<int:pk>/", patrol_page, name="patrol"),
    path("findings/<int:pk>/case/", raise_case, name="raise_case"),
    path("findings/<int:pk>/hazard/", raise_hazard, name="raise_hazard"),
    path("photos/<int:pk>/", photo, name="photo"),
]
