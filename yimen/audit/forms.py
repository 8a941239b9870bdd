from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .display import object_type_choices
from .models import EventQuerySet


class EventFilterForm(forms.Form):
    """The audit log's filters; an object's history is ``object_type`` + ``object_id``."""

    action = forms.CharField(
        label=_("Action starts with"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "org.unit."}),
    )
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("All"))] + object_type_choices()

    def apply(self, events: EventQuerySet) -> EventQuerySet:
        """The events matching the filters; call after ``is_valid()``."""
        data = self.cleaned_data
        if data["action"].strip():
            events = events.filter(action__startswith=data["action"].strip())
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"])
        return events
