"""The safety pages' forms. Forms read what was typed; ``services`` and ``rules`` decide.

Photos are checked by their content here (``PhotoField``: a file that is not a photo is a
form error, with everything else typed kept) and re-encoded by the services.
"""

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import modelformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.org.models import Jurisdiction
from yimen.portal.forms import PhotoField

from .models import ChecklistItem, HazardStatus, Place, PlaceType, Source
from .queries import inspection_due, outstanding, overdue
from .services import ItemCheck

PASS, FAIL = "pass", "fail"


def scope_grids(field: forms.ModelChoiceField, user: Any) -> None:
    """A jurisdiction choice among the user's own nodes, indented as the tree."""
    field.queryset = Jurisdiction.objects.for_user(user)
    field.label_from_instance = lambda node: f"{'· ' * node.depth}{node.name}"


def grid_filter() -> forms.ModelChoiceField:
    """A filter's grid field; ``scope_grids`` gives it its choices."""
    return forms.ModelChoiceField(
        label=_("Grid"), queryset=Jurisdiction.objects.none(), required=False,
        empty_label=_("all"),
    )  # fmt: skip


def _coordinate(label: Any, limit: int) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=-limit, max_value=limit,
                              max_digits=9, decimal_places=6)  # fmt: skip


class PlaceForm(forms.ModelForm):
    latitude = _coordinate(_("Latitude"), 90)
    longitude = _coordinate(_("Longitude"), 180)

    class Meta:
        model = Place
        fields = [
            "name", "place_type", "address", "jurisdiction", "latitude", "longitude",
            "organisation", "contact_name", "contact_phone", "inspection_days", "is_active",
        ]  # fmt: skip
        widgets = {"contact_phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_grids(self.fields["jurisdiction"], user)
        if not self.instance.pk:
            self.initial.setdefault("jurisdiction", user.jurisdiction_id)
        self.fields["inspection_days"].widget.attrs["min"] = 1

    def clean_inspection_days(self) -> int:
        days = self.cleaned_data["inspection_days"]
        if days < 1:
            raise forms.ValidationError(_("Inspect at least once every so many days (1 or more)."))
        return days


def within(rows: QuerySet, lookup: str, node: Jurisdiction | None) -> QuerySet:
    """Rows at a node or anywhere below it (a community takes in its grids)."""
    return rows.filter(**{f"{lookup}__path__startswith": node.path}) if node else rows


class PlaceFilterForm(forms.Form):
    place_type = forms.ChoiceField(label=_("Type of place"), required=False)
    grid = grid_filter()
    due = forms.BooleanField(label=_("Inspection due"), required=False)
    inactive = forms.BooleanField(label=_("Include inactive places"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place_type"].choices = [("", _("all")), *PlaceType.choices]
        scope_grids(self.fields["grid"], user)

    def apply(self, places: QuerySet, today: Any) -> QuerySet:
        data = self.cleaned_data
        if data.get("place_type"):
            places = places.filter(place_type=data["place_type"])
        places = within(places, "jurisdiction", data.get("grid"))
        if data.get("due"):
            places = inspection_due(places, today)
        if not data.get("inactive"):
            places = places.filter(is_active=True)
        return places


SHOW_OUTSTANDING, SHOW_OVERDUE, SHOW_ALL = "outstanding", "overdue", "all"


class HazardFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), required=False)
    grid = grid_filter()
    source = forms.ChoiceField(label=_("Found by"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["show"].choices = [
            (SHOW_OUTSTANDING, _("Not signed off")),
            (SHOW_OVERDUE, _("Overdue")),
            *HazardStatus.choices,
            (SHOW_ALL, _("All")),
        ]
        scope_grids(self.fields["grid"], user)
        self.fields["source"].choices = [("", _("all")), *Source.choices]

    def apply(self, hazards: QuerySet, today: Any) -> QuerySet:
        data = self.cleaned_data
        show = data.get("show") or SHOW_OUTSTANDING
        if show == SHOW_OUTSTANDING:
            hazards = outstanding(hazards)
        elif show == SHOW_OVERDUE:
            hazards = overdue(hazards, today)
        elif show != SHOW_ALL:
            hazards = hazards.filter(status=show)
        if data.get("source"):
            hazards = hazards.filter(source=data["source"])
        return within(hazards, "jurisdiction", data.get("grid"))


class InspectionForm(forms.Form):
    """The phone form: each checklist item passed or failed, a note and photos; the fields
    of item 12 are ``item_12``, ``note_12`` and ``photos_12``."""

    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    inspected_at = forms.DateTimeField(
        label=_("Inspected at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Remarks"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args: Any, items: list[ChecklistItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=[(PASS, _("Pass")), (FAIL, _("Fail"))],
                widget=forms.RadioSelect, error_messages={"required": _("Pass or fail?")},
            )  # fmt: skip
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("What is wrong"), required=False, max_length=500
            )
            self.fields[f"photos_{item.pk}"] = PhotoField(label=_("Photos"))
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("inspected_at", now)

    def rows(self) -> list[tuple[ChecklistItem, Any, Any, Any]]:
        """Each item with its three bound fields, for the template."""
        return [(item, self[f"item_{item.pk}"], self[f"note_{item.pk}"],
                 self[f"photos_{item.pk}"]) for item in self.items]  # fmt: skip

    def checks(self) -> list[Any]:
        data = self.cleaned_data
        return [
            ItemCheck(
                item,
                data[f"item_{item.pk}"] == PASS,
                data[f"note_{item.pk}"],
                data[f"photos_{item.pk}"],
            )  # fmt: skip
            for item in self.items
        ]


class HazardReportForm(forms.Form):
    """A hazard reported to the office (a resident's call, a letter): where and what."""

    jurisdiction = forms.ModelChoiceField(label=_("Grid"), queryset=Jurisdiction.objects.none())
    place = forms.ModelChoiceField(label=_("Place (if registered)"), queryset=None, required=False)
    description = forms.CharField(label=_("Description"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    responsible_org = forms.CharField(
        label=_("Responsible organisation"), required=False, max_length=100,
        help_text=_("Leave empty to use the place's."),
    )  # fmt: skip
    latitude = _coordinate(_("Latitude"), 90)
    longitude = _coordinate(_("Longitude"), 180)
    photos = PhotoField(label=_("Photos"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_grids(self.fields["jurisdiction"], user)
        self.fields["jurisdiction"].initial = user.jurisdiction_id
        self.fields["place"].queryset = Place.objects.for_user(user).filter(is_active=True)


class RectifyForm(forms.Form):
    note = forms.CharField(label=_("What the organisation did"),
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    photos = PhotoField(label=_("Photos after rectification"))


class ReinspectForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Re-inspection"), widget=forms.RadioSelect,
        choices=[(PASS, _("Fixed: sign off")), (FAIL, _("Not fixed: back to open"))],
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    photos = PhotoField(label=_("Photos"))


class ReassignForm(forms.Form):
    responsible_org = forms.CharField(label=_("Responsible organisation"), max_length=100)


ChecklistFormSet = modelformset_factory(
    ChecklistItem, fields=["topic", "text", "position", "is_active"], extra=2, can_delete=False
)
