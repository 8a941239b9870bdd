"""The safety registers: inspection records (检查记录登记簿) and hazard rectification
(隐患整改登记簿), one line per inspection or hazard of the period.

Rows start from ``for_user``, so a register shows and counts only the places its reader
serves. Places, not people: the only names are the staff who inspected and signed off.
"""

from typing import Any

from django import forms
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yimen.ledgers.registry import Column, Kind, Ledger, local_date, register
from yimen.org.permissions import staff
from yimen.periods import Period

from .forms import grid_filter, scope_grids, within
from .models import Hazard, HazardStatus, Inspection, InspectionResult, PlaceType


class InspectionRegisterFilter(forms.Form):
    place_type = forms.ChoiceField(label=_("Type of place"), required=False)
    grid = grid_filter()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place_type"].choices = [("", _("all")), *PlaceType.choices]
        scope_grids(self.fields["grid"], user)


def inspection_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet[Inspection]:
    """Inspections made in the period, in the order they were made."""
    rows = Inspection.objects.for_user(user).filter(period.contains("inspected_at"))
    if filters.get("place_type"):
        rows = rows.filter(place__place_type=filters["place_type"])
    rows = within(rows, "place__jurisdiction", filters.get("grid"))
    failures = InspectionResult.objects.filter(passed=False).select_related("hazard")
    failed = Count("results", filter=Q(results__passed=False))
    return (
        rows.select_related("place", "place__jurisdiction", "inspector")
        .annotate(checked=Count("results"), failed=failed)
        .prefetch_related(Prefetch("results", queryset=failures, to_attr="failures"))
        .order_by("inspected_at", "pk")
    )


def _hazards_raised(inspection: Inspection) -> str:
    return "、".join(r.hazard.number for r in inspection.failures if hasattr(r, "hazard"))


INSPECTION_REGISTER = register(
    Ledger(
        code="inspections",
        title=_("Inspection register (检查记录登记簿)"),
        description=_(
            "Every safety inspection of a registered place: when, where, by whom, how many "
            "items were checked and failed, and the hazards raised."
        ),
        period_means=_("The period selects on the day of the inspection."),
        columns=(
            Column(_("Inspection number"), lambda i: i.number, width=16),
            Column(_("Inspected on"), lambda i: local_date(i.inspected_at), Kind.DATE, 12),
            Column(_("Place"), lambda i: i.place.name, width=16),
            Column(_("Type of place"), lambda i: i.place.get_place_type_display(), width=14),
            Column(_("Grid"), lambda i: i.place.jurisdiction.name, width=10),
            Column(_("Inspector"), lambda i: i.inspector, width=9),
            Column(_("Items checked"), lambda i: i.checked, Kind.NUMBER, 6),
            Column(_("Failed"), lambda i: i.failed, Kind.NUMBER, 6),
            Column(_("Hazards raised"), _hazards_raised, width=18),
        ),
        rows=inspection_rows,
        allowed=staff,
        filter_form=InspectionRegisterFilter,
        link=lambda i: reverse("safety:inspection", args=[i.pk]),
        position=60,
    )
)


class HazardRegisterFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    grid = grid_filter()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("all")), *HazardStatus.choices]
        scope_grids(self.fields["grid"], user)


def hazard_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet[Hazard]:
    """Hazards found in the period, in the order they were found."""
    rows = Hazard.objects.for_user(user).filter(period.contains_day("found_on"))
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    rows = within(rows, "jurisdiction", filters.get("grid"))
    return rows.select_related("place", "jurisdiction", "signed_off_by").order_by("found_on", "pk")


HAZARD_REGISTER = register(
    Ledger(
        code="hazards",
        title=_("Hazard rectification register (隐患整改登记簿)"),
        description=_(
            "Every hazard found, by inspection, patrol or report: where, what, the "
            "organisation responsible, the deadline, and when it was rectified and signed off."
        ),
        period_means=_("The period selects on the day the hazard was found."),
        columns=(
            Column(_("Hazard number"), lambda h: h.number, width=16),
            Column(_("Found on"), lambda h: h.found_on, Kind.DATE, 12),
            Column(_("Place"), lambda h: h.place.name if h.place else "", width=16),
            Column(_("Grid"), lambda h: h.jurisdiction.name, width=10),
            Column(_("Description"), lambda h: h.description, Kind.LONG, 24),
            Column(_("Found by"), lambda h: h.get_source_display(), width=8),
            Column(_("Responsible organisation"), lambda h: h.responsible_org, width=14),
            Column(_("Rectify by"), lambda h: h.deadline, Kind.DATE, 12),
            Column(_("Status"), lambda h: h.get_status_display(), width=10),
            Column(_("Rectified on"), lambda h: local_date(h.rectified_at), Kind.DATE, 12),
            Column(_("Signed off on"), lambda h: local_date(h.signed_off_at), Kind.DATE, 12),
            Column(_("Signed off by"), lambda h: h.signed_off_by or "", width=9),
        ),
        rows=hazard_rows,
        allowed=staff,
        filter_form=HazardRegisterFilter,
        link=lambda h: reverse("safety:hazard", args=[h.pk]),
        position=61,
    )
)
