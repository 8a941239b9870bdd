"""Forms of the reports pages: each reads what was typed into Python values.

What is allowed and what is missing is decided by ``services``; the views put its reasons
back on these forms by field name, so the fields are optional here.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yimen.org.models import User

from . import rules
from .models import NARRATIVE_FIELDS, Report
from .schedule import ReportKind

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    start = forms.DateField(label=_("From"), required=False, widget=_DATE)
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=_DATE,
        help_text=_("Leave both dates empty for the latest period that has ended."),
    )


class NarrativeForm(forms.Form):
    """The four narrative sections, labelled as the report prints them."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in NARRATIVE_FIELDS:
            self.fields[name] = forms.CharField(
                label=Report._meta.get_field(name).verbose_name,
                required=False,
                widget=forms.Textarea(attrs={"rows": 5}),
            )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} · {obj.get_role_display()} · {obj.jurisdiction}"


class ResponsibleForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(label=_("Jurisdiction"), queryset=None, required=False)
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    person = PersonChoiceField(
        label=_("Responsible person"),
        queryset=None,
        required=False,
        empty_label=_("— the directors placed there —"),
        help_text=_("Someone placed at that jurisdiction; they are reminded before each due date."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = rules.assignable_nodes(user)
        self.fields["person"].queryset = rules.person_choices(user)
