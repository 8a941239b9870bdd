"""Field-work forms: the patrol log fits a phone; findings are a formset the page grows.

Forms read what was typed; the rules (``rules``) and the services decide. Photos are
checked by their content here (``portal.forms.PhotoField``) and re-encoded by the view.
"""

import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Category
from yimen.org.models import Role, User
from yimen.portal.forms import PhotoField

from .models import CampaignKind
from .services import Becomes, default_grid, grids_for

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_FINDINGS = 10


def _coordinate(label: Any, limit: int, role: str) -> forms.DecimalField:
    """A coordinate the map fills in (``data-map-input``), or typed from a GPS reading."""
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=-limit,
        max_value=limit,
        decimal_places=6,
        max_digits=9,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-map-input": role}),
    )


def _categories() -> Any:
    return Category.objects.filter(is_active=True, is_staff_complaint=False)


class PatrolForm(forms.Form):
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, empty_label=None)
    started_at = forms.DateTimeField(label=_("Started at"), widget=DATETIME)
    ended_at = forms.DateTimeField(label=_("Ended at"), widget=DATETIME)
    checked = forms.CharField(
        label=_("What was checked"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: fire exits of building 3, the river bank, the market."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids_for(user)
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            grid = default_grid(user)
            self.initial.setdefault("client_key", uuid.uuid4())
            self.initial.setdefault("grid", grid.pk if grid else None)
            self.initial.setdefault("started_at", now - timedelta(hours=1))
            self.initial.setdefault("ended_at", now)


class FindingForm(forms.Form):
    """One finding: what, where (optional), photos, and what it becomes."""

    text = forms.CharField(
        label=_("What was found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    latitude = _coordinate(_("Latitude"), 90, "lat")
    longitude = _coordinate(_("Longitude"), 180, "lon")
    outside_reason = forms.CharField(
        label=_("Why the point lies outside the grid"), max_length=500, required=False
    )
    photos = PhotoField(label=_("Photos"))
    becomes = forms.ChoiceField(
        label=_("It becomes"), choices=Becomes.choices, initial=Becomes.NOTE,
        widget=forms.RadioSelect,
    )  # fmt: skip
    category = forms.ModelChoiceField(
        label=_("Category (for a case)"), queryset=None, required=False,
        empty_label=_("— choose —"),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("latitude", _("Give both latitude and longitude, or neither."))
        if data.get("becomes") == Becomes.CASE and not data.get("category"):
            self.add_error("category", _("Choose the case's category."))
        return data


FindingFormSet = forms.formset_factory(
    FindingForm, extra=1, max_num=MAX_FINDINGS, validate_max=True
)


class RaiseCaseForm(forms.Form):
    """Turn a recorded finding into a case."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories()


class PatrolFilterForm(forms.Form):
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=None, required=False, empty_label=_("All grids")
    )
    worker = forms.ModelChoiceField(
        label=_("Grid worker"), queryset=None, required=False, empty_label=_("All workers")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids_for(user)
        self.fields["worker"].queryset = grid_workers(user)


def grid_workers(user: Any) -> Any:
    return User.objects.for_user(user).filter(role=Role.GRID, is_active=True)


class AssignWorkerForm(forms.Form):
    worker = forms.ModelChoiceField(label=_("Grid worker"), queryset=None)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = grid_workers(user)


class BoundaryImportForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_(
            "A FeatureCollection; each feature's property “code” names its grid. "
            "Nothing is changed unless every feature is good."
        ),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > settings.YIMEN_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload.read()


class CampaignForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices)
    title = forms.CharField(
        label=_("Title"), max_length=100, required=False,
        help_text=_("Left empty: the kind and the dates."),
    )  # fmt: skip
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    grids = forms.ModelMultipleChoiceField(
        label=_("Grids"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    checklist = forms.CharField(
        label=_("Checklist"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One item per line, e.g. neighbourhood disputes, unpaid wages, fire exits."),
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grids"].queryset = grids_for(user)


class ScreeningFindingForm(forms.Form):
    text = forms.CharField(
        label=_("What was found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=None, empty_label=_("— choose —")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories()


ScreeningFindingFormSet = forms.formset_factory(
    ScreeningFindingForm, extra=1, max_num=MAX_FINDINGS, validate_max=True
)
