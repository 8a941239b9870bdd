"""The portal's forms: reporting a matter, looking it up, rating it, asking for re-handling.

Forms read what was typed; the workflow decides. The report form also places the matter in
the jurisdiction tree — by the map point when there is one (a point outside every boundary
is refused), else by the community chosen from the list — so that the form works without
JavaScript.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yimen.cases.attachments import check_upload
from yimen.cases.models import Category, Satisfaction
from yimen.org.models import Jurisdiction, Level, Unit
from yimen.org.places import jurisdiction_at

_SIX_PLACES = Decimal("0.000001")
MAX_DESCRIPTION = 2000
MAX_COMMENT = 1000


def category_label(category: Category) -> str:
    """The category in the visitor's language: its English name on English pages."""
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return category_label(obj)


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoField(forms.FileField):
    """Up to ``YIMEN_PORTAL_MAX_PHOTOS`` photos, each checked by its content and size."""

    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"})

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        most = settings.YIMEN_PORTAL_MAX_PHOTOS
        if len(uploads) > most:
            raise ValidationError(_("At most %(n)d photos.") % {"n": most}, code="too_many")
        errors, checked = [], []
        for upload in uploads:
            try:
                upload = check_upload(super().clean(upload, initial))
                if not upload.content_type.startswith("image/"):
                    raise ValidationError(
                        _("%(name)s is not a photo (JPEG, PNG, GIF or WebP).")
                        % {"name": upload.name}
                    )
                checked.append(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return checked


def _coordinate(label: Any, limit: int, role: str) -> forms.DecimalField:
    """A coordinate the map script fills in (``data-map-input``); hidden from people."""
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=-limit,
        max_value=limit,
        widget=forms.HiddenInput(attrs={"data-map-input": role}),
    )


class ReportForm(forms.Form):
    """What a resident tells the center, on a phone, without an account."""

    category = CategoryField(
        label=_("What is it about?"),
        queryset=Category.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose what the matter is about.")},
    )
    about_unit = forms.ModelChoiceField(
        label=_("Which unit is the complaint about?"),
        queryset=Unit.objects.filter(is_active=True).only("pk", "name"),
        required=False,
        empty_label=_("— choose the unit —"),
        help_text=_("Only for a complaint about staff: it is never handled by that unit."),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Say what the problem is, since when, and who is affected."),
        error_messages={"required": _("Give an account of the matter.")},
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    latitude = _coordinate(_("latitude"), 90, "lat")
    longitude = _coordinate(_("longitude"), 180, "lon")
    community = forms.ModelChoiceField(
        label=_("Community or village"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=_("— choose —"),
    )
    photos = PhotoField(
        label=_("Photos (optional)"),
        help_text=_("Up to 3 photos. They are made smaller and their location data is removed."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"},
        ),
        help_text=_("The center calls you back on it. It is never shown in public."),
        error_messages={"required": _("Enter a phone number the center can call back.")},
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that the center uses these details "
            "to handle my report."
        ),
        error_messages={"required": _("Please agree to the privacy notice to send the report.")},
    )
    # The honeypot: hidden from people by CSS, filled in by form-filling robots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = (
            Jurisdiction.objects.filter(level=Level.COMMUNITY)
            .only("pk", "name", "path")
            .order_by("path")
        )

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not 7 <= sum(ch.isdigit() for ch in phone) <= 20:
            raise ValidationError(_("Enter a phone number the center can call back."))
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        category = data.get("category")
        if category is not None and category.is_staff_complaint and not data.get("about_unit"):
            self.add_error("about_unit", _("Choose the unit the complaint is about."))
        if category is not None and not category.is_staff_complaint:
            data["about_unit"] = None
        self._place(data)
        return data

    def _place(self, data: dict[str, Any]) -> None:
        """``data["jurisdiction"]``: by the map point if there is one, else the community."""
        if "latitude" in self.errors or "longitude" in self.errors:
            return
        lat, lon = data.get("latitude"), data.get("longitude")
        data["jurisdiction"] = None
        if (lat is None) != (lon is None):
            self.add_error("latitude", _("The map point is incomplete: mark it again."))
            return
        if lat is not None:
            data["latitude"] = lat.quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)
            data["longitude"] = lon.quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)
            node = jurisdiction_at(data["latitude"], data["longitude"])
            if node is None:
                self.add_error(
                    "latitude",
                    _(
                        "The point you marked lies outside the center's area. Mark a point "
                        "inside the outlined area, or clear it and choose the community."
                    ),
                )
                return
            data["jurisdiction"] = node
        elif data.get("community") is not None:
            data["jurisdiction"] = data["community"]
        elif "community" not in self.errors:
            self.add_error(
                "community", _("Mark the place on the map, or choose the community or village.")
            )


def _normalised(value: str) -> str:
    return "".join(value.split()).upper()


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("Receipt number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "YM-2026-000123",
            }
        ),
    )
    code = forms.CharField(
        label=_("tracking code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_number(self) -> str:
        return _normalised(self.cleaned_data["number"])

    def clean_code(self) -> str:
        return _normalised(self.cleaned_data["code"]).replace("-", "")


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=MAX_COMMENT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RehandlingForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still not right? (optional)"),
        max_length=MAX_COMMENT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("It helps the unit that handles the matter again."),
    )
