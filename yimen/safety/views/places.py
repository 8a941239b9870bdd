"""The office's landing page, the places register, inspections and the checklists."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.cases.workflow import WorkflowError
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import rules, services
from ..forms import ChecklistFormSet, InspectionForm, PlaceFilterForm, PlaceForm
from ..models import ChecklistItem, Hazard, Inspection, Place, PlaceType
from ..queries import flagged, inspection_due, outstanding, overdue
from . import put_errors

PAGE_SIZE = 50
LANDING_ROWS = 30


@require(staff)
def index(request: HttpRequest) -> HttpResponse:
    """安全办: what is due today — inspections, and rectifications by deadline, overdue first."""
    user, today = request.user, timezone.localdate()
    due = inspection_due(Place.objects.for_user(user), today).select_related("jurisdiction")
    hazards = outstanding(Hazard.objects.for_user(user)).select_related("place", "jurisdiction")
    context = {
        "due": due[:LANDING_ROWS],
        "due_count": due.count(),
        "hazards": flagged(hazards.order_by("deadline", "pk")[:LANDING_ROWS], today),
        "hazard_count": hazards.count(),
        "overdue_count": overdue(hazards, today).count(),
        "may_manage": rules.may_manage_places(user),
        "may_edit_checklists": rules.may_edit_checklists(user),
    }
    return render(request, "safety/index.html", context)


@require(staff)
def places(request: HttpRequest) -> HttpResponse:
    user, today = request.user, timezone.localdate()
    form = PlaceFilterForm(request.GET, user=user)
    rows = Place.objects.for_user(user).select_related("jurisdiction")
    rows = form.apply(rows, today) if form.is_valid() else rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for place in page.object_list:
        place.is_due = place.is_active and rules.is_inspection_due(place.inspection_due_on, today)
    context = {"form": form, "page": page, "may_manage": rules.may_manage_places(user)}
    return render(request, "safety/places.html", context, status=200 if form.is_valid() else 400)


def _place(request: HttpRequest, pk: int) -> Place:
    return get_for_user_or_404(Place, request.user, pk=pk)


@require(staff)
def place_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, today = request.user, timezone.localdate()
    place = _place(request, pk)
    context = {
        "place": place,
        "is_due": place.is_active and rules.is_inspection_due(place.inspection_due_on, today),
        "inspections": place.inspections.select_related("inspector")[:20],
        "hazards": flagged(place.hazards.order_by("-found_on", "-pk")[:20], today),
        "may_manage": rules.may_manage_places(user),
        "may_inspect": rules.may_inspect(user),
    }
    return render(request, "safety/place.html", context)


@require(staff)
def place_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    place = _place(request, pk) if pk else None
    if not rules.may_manage_places(user):
        raise PermissionDenied
    form = PlaceForm(request.POST or None, instance=place, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_place(form.instance, actor=user)
        except WorkflowError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("The place is saved."))
            return redirect("safety:place", saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "safety/place_form.html", {"form": form, "place": place}, status=status)


@require(staff)
def inspect(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone form of one inspection; a place outside the inspector's scope is a 404."""
    user = request.user
    place = _place(request, pk)
    if not rules.may_inspect(user):
        raise PermissionDenied
    items = services.checklist_for(place)
    form = InspectionForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST":
        known = services.inspection_for_key(request.POST.get("client_key"))
        if known is not None:
            return redirect("safety:inspection", known.pk)
        if form.is_valid():
            try:
                inspection = services.record_inspection(
                    actor=user, place=place, checks=form.checks(),
                    inspected_at=form.cleaned_data["inspected_at"],
                    note=form.cleaned_data["note"], client_key=form.cleaned_data["client_key"],
                )  # fmt: skip
            except WorkflowError as exc:
                put_errors(form, exc)
            else:
                failed = inspection.results.filter(passed=False).count()
                messages.success(request, _("Inspection %(n)s is recorded; %(f)d hazard(s) raised.")
                                 % {"n": inspection.number, "f": failed})  # fmt: skip
                return redirect("safety:inspection", inspection.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "safety/inspect.html", {"form": form, "place": place}, status=status)


@require(staff)
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_for_user_or_404(Inspection, request.user, pk=pk)
    results = inspection.results.select_related("hazard").prefetch_related("photos")
    context = {"inspection": inspection, "place": inspection.place, "results": results}
    return render(request, "safety/inspection.html", context)


@require(staff)
def checklists(request: HttpRequest) -> HttpResponse:
    """The checklist of one type of place: items edited, added or taken out of use."""
    user = request.user
    if not rules.may_edit_checklists(user):
        raise PermissionDenied
    place_type = request.GET.get("type")
    place_type = place_type if place_type in PlaceType.values else PlaceType.CROWDED
    items = ChecklistItem.objects.filter(place_type=place_type)
    formset = ChecklistFormSet(request.POST or None, queryset=items)
    if request.method == "POST" and formset.is_valid():
        changed = [form.instance for form in formset.forms if form.has_changed()]
        for item in changed:
            item.place_type = place_type
        services.save_checklist(changed, actor=user)
        messages.success(request, _("The checklist is saved."))
        return redirect(f"{request.path}?type={place_type}")
    context = {"formset": formset, "place_type": place_type, "types": PlaceType.choices}
    return render(request, "safety/checklists.html", context,
                  status=400 if request.method == "POST" else 200)  # fmt: skip


urlpatterns = [
    path("", index, name="index"),
    path("places/", places, name="places"),
    path("places/new/", place_form, name="place_new"),
    path("places/<int:pk>/", place_detail, name="place"),
    path("places/<int:pk>/edit/", place_form, name="place_edit"),
    path("places/<int:pk>/inspect/", inspect, name="inspect"),
    path("inspections/<int:pk>/", inspection_detail, name="inspection"),
    path("checklists/", checklists, name="checklists"),
]
