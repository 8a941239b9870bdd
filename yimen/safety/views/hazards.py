"""The hazards: the list, a report made at the office, the hazard page with its
rectification and re-inspection, and the photos (served only inside the viewer's scope)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases.workflow import WorkflowError
from yimen.files import private_file
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import rules, services
from ..forms import (
    PASS,
    HazardFilterForm,
    HazardReportForm,
    ReassignForm,
    RectifyForm,
    ReinspectForm,
)
from ..models import Hazard, HazardStatus, Photo, Source
from ..queries import flagged
from . import put_errors

PAGE_SIZE = 50


@require(staff)
def hazards(request: HttpRequest) -> HttpResponse:
    """Hazards by deadline, the overdue flagged; not yet signed off unless asked."""
    user, today = request.user, timezone.localdate()
    form = HazardFilterForm(request.GET, user=user)
    rows = Hazard.objects.for_user(user).select_related("place", "jurisdiction")
    rows = form.apply(rows, today) if form.is_valid() else rows.none()
    page = Paginator(rows.order_by("deadline", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = flagged(page.object_list, today)
    status = 200 if form.is_valid() else 400
    return render(request, "safety/hazards.html", {"form": form, "page": page}, status=status)


@require(staff)
def hazard_new(request: HttpRequest) -> HttpResponse:
    """A hazard reported to the office by phone or letter (found by "report")."""
    user = request.user
    form = HazardReportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            hazard = services.report_hazard(actor=user, source=Source.REPORT, **form.cleaned_data)
        except WorkflowError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Hazard %(n)s is recorded, to be rectified by %(d)s.")
                             % {"n": hazard.number, "d": hazard.deadline.isoformat()})  # fmt: skip
            return redirect("safety:hazard", hazard.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "safety/hazard_new.html", {"form": form}, status=status)


def _hazard(request: HttpRequest, pk: int) -> Hazard:
    return get_for_user_or_404(Hazard, request.user, pk=pk)


ACTIONS = {"rectify": RectifyForm, "reinspect": ReinspectForm, "reassign": ReassignForm}
# Who may take each step, and in which status the page offers it.
MAY = {
    "rectify": rules.may_record_rectification,
    "reinspect": rules.may_sign_off,
    "reassign": rules.may_reassign,
}
OFFERED_IN = {
    "rectify": (HazardStatus.OPEN,),
    "reinspect": (HazardStatus.RECTIFIED,),
    "reassign": (HazardStatus.OPEN, HazardStatus.RECTIFIED),
}


def _offered(user: Any, hazard: Hazard) -> list[str]:
    return [name for name in ACTIONS if hazard.status in OFFERED_IN[name] and MAY[name](user)]


def _render(request: HttpRequest, hazard: Hazard, bound: dict[str, Any] | None = None,
            status: int = 200) -> HttpResponse:  # fmt: skip
    offered = _offered(request.user, hazard)
    forms = {
        "rectify": RectifyForm(),
        "reinspect": ReinspectForm(),
        "reassign": ReassignForm(initial={"responsible_org": hazard.responsible_org}),
    } | (bound or {})
    context = {
        "hazard": hazard,
        "overdue": rules.is_overdue(hazard.status, hazard.deadline, timezone.localdate()),
        "photos": hazard.photos.all(),
        "events": hazard.events.select_related("by"),
        "forms": {name: form for name, form in forms.items() if name in offered},
    }
    return render(request, "safety/hazard.html", context, status=status)


@require(staff)
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _hazard(request, pk))


def _do(name: str, hazard: Hazard, actor: Any, data: dict[str, Any]) -> str:
    """Run one step; the message to show."""
    if name == "rectify":
        services.record_rectification(hazard, actor=actor, note=data["note"], photos=data["photos"])
        return _("The rectification is recorded; it waits for the re-inspection.")
    if name == "reinspect":
        passed = data["outcome"] == PASS
        services.reinspect(hazard, actor=actor, passed=passed, note=data["note"],
                           photos=data["photos"])  # fmt: skip
        return _("The hazard is signed off.") if passed else _("The hazard is open again.")
    services.reassign(hazard, actor=actor, responsible_org=data["responsible_org"])
    return _("The responsible organisation is changed.")


@require(staff)
@require_POST
def hazard_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    hazard = _hazard(request, pk)
    form_class = ACTIONS.get(name)
    if form_class is None:
        raise Http404
    if not MAY[name](request.user):
        raise PermissionDenied
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            messages.success(request, _do(name, hazard, request.user, form.cleaned_data))
        except WorkflowError as exc:
            if not exc.fields:  # the hazard moved on meanwhile: say so on its page
                messages.error(request, exc.message)
                return redirect("safety:hazard", hazard.pk)
            put_errors(form, exc)
        else:
            return redirect("safety:hazard", hazard.pk)
    return _render(request, hazard, {name: form}, status=400)


@require(staff)
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo of a place the viewer serves; anything else is a 404."""
    item = get_for_user_or_404(Photo, request.user, pk=pk)
    return private_file(item.image, "image/jpeg")


urlpatterns = [
    path("hazards/", hazards, name="hazards"),
    path("hazards/new/", hazard_new, name="hazard_new"),
    path("hazards/<int:pk>/", hazard_detail, name="hazard"),
    path("hazards/<int:pk>/do/<slug:name>/", hazard_action, name="hazard_action"),
    path("photos/<int:pk>/", photo, name="photo"),
]
