"""Forms of the case pages: intake at the front desk and one form per lifecycle action.

Forms only read what was typed into Python values (a date, a unit, a choice); whether an
action is allowed and what it needs is decided by ``workflow``, whose errors the views put
back on these forms by field name. Every choice list is built from the user's scope.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yimen.org.forms import node_choices
from yimen.org.models import Jurisdiction, Level, Role, Unit, User
from yimen.org.scoping import path_and_ancestors
from yimen.widgets import FastSelect

from . import workflow
from .attachments import check_upload
from .models import (
    AttachmentKind,
    Case,
    Category,
    Channel,
    Complexity,
    PartyRole,
    Satisfaction,
)

MAX_PARTIES = 20
MAX_FILES = 10
_SIX_PLACES = Decimal("0.000001")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input, each checked by ``attachments.check_upload``.

    Every bad file is named in the error, so the desk knows which one to replace.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(uploads) > MAX_FILES:
            raise ValidationError(
                _("At most %(n)d files at a time.") % {"n": MAX_FILES}, code="too_many"
            )
        errors, checked = [], []
        for upload in uploads:
            try:
                checked.append(check_upload(super().clean(upload, initial)))
            except ValidationError as exc:
                name = getattr(upload, "name", "")
                errors.extend(m if name in m else f"{name}: {m}" for m in exc.messages)
        if errors:
            raise ValidationError(errors)
        if self.required and not checked:
            raise ValidationError(self.error_messages["required"], code="required")
        return checked


def unbound_copy(form: forms.Form, **kwargs: Any) -> forms.Form:
    """The same form, unbound, showing what was typed: redrawn without error messages.

    Used when a button only changes the page (one more party row), not to submit it.
    """
    initial = {
        name: field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        for name, field in form.fields.items()
        if not isinstance(field, forms.FileField)
    }
    return type(form)(initial=initial, prefix=form.prefix, **kwargs)


def _serving(user: Any) -> Q:
    """Staff and units of the user's subtree and of the nodes above it.

    A complaint at a community desk is often about the street's police station or office,
    so the desk must be able to name them, though it cannot see their cases.
    """
    path = user.visible_path or "\0"
    return Q(jurisdiction__path__startswith=path) | Q(
        jurisdiction__path__in=path_and_ancestors(path)
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} · {obj.unit}" if obj.unit_id else str(obj)


class IntakeForm(forms.Form):
    """登记: what the front desk types while the resident is at the counter."""

    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    category = forms.ModelChoiceField(
        label=_("category"),
        queryset=Category.objects.filter(is_active=True),
        widget=forms.Select(attrs={"autofocus": True}),
    )
    title = forms.CharField(
        label=_("title"),
        max_length=100,
        help_text=_("A few words, e.g. “water leaking from upstairs”."),
    )
    description = forms.CharField(
        label=_("account of the matter"), widget=forms.Textarea(attrs={"rows": 5})
    )
    jurisdiction = forms.ModelChoiceField(
        label=_("place"), queryset=Jurisdiction.objects.none(), widget=FastSelect
    )
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    latitude = forms.DecimalField(
        label=_("latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    attachments = MultipleFileField(
        label=_("attachments"),
        help_text=_("Photos, PDF or Office documents."),
    )
    is_urgent = forms.BooleanField(
        label=_("major / urgent"),
        required=False,
        help_text=_(
            "Many people involved, risk of violence, injury or to public safety: "
            "the director and the leader on duty are told at once."
        ),
    )
    settle_on_the_spot = forms.BooleanField(label=_("settled on the spot"), required=False)
    result = forms.CharField(
        label=_("how it was settled"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    about_staff = StaffChoiceField(
        label=_("staff member complained about"), queryset=User.objects.none(), required=False
    )
    about_unit = forms.ModelChoiceField(
        label=_("unit complained about"), queryset=Unit.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        initial = kwargs.setdefault("initial", {}) or {}
        kwargs["initial"] = initial
        initial.setdefault("channel", Channel.GRID if user.role == Role.GRID else Channel.VISIT)
        initial.setdefault("jurisdiction", user.jurisdiction_id)
        super().__init__(*args, **kwargs)
        nodes = (
            Jurisdiction.objects.for_user(user)
            .filter(Q(level__in=[Level.COMMUNITY, Level.GRID]) | Q(pk=user.jurisdiction_id))
            .defer("polygon")
        )
        field = self.fields["jurisdiction"]
        field.queryset = nodes
        top = user.jurisdiction.depth if user.jurisdiction_id else 0
        field.widget.choices = node_choices(nodes, top)
        self.fields["about_staff"].queryset = (
            User.objects.filter(_serving(user), is_active=True)
            .exclude(role=Role.ADMIN)
            .select_related("unit")
        )
        self.fields["about_unit"].queryset = Unit.objects.filter(_serving(user), is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None) and "latitude" not in self.errors:
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        for name in ("latitude", "longitude"):
            if data.get(name) is not None:
                data[name] = data[name].quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)
        return data


class PartyForm(forms.Form):
    """One party to the matter; a row left empty is no party."""

    role = forms.ChoiceField(label=_("role"), choices=PartyRole.choices)
    name = forms.CharField(label=_("name"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("ID number (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(k, "").strip() for k in ("name", "phone", "id_number"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_numbers = any(data.get(k, "").strip() for k in ("phone", "id_number"))
        if has_numbers and not data.get("name", "").strip():
            self.add_error("name", _("Whose number is this? Give the party's name."))
        return data


PartyFormSet = forms.formset_factory(PartyForm, extra=0, max_num=MAX_PARTIES, validate_max=True)
FIRST_PARTY_ROWS = [{"role": PartyRole.APPLICANT}, {"role": PartyRole.RESPONDENT}]


def parties_from(formset: Any) -> list[workflow.NewParty]:
    return [
        workflow.NewParty(
            name=f.cleaned_data["name"],
            role=f.cleaned_data["role"],
            phone=f.cleaned_data["phone"],
            id_number=f.cleaned_data["id_number"],
        )
        for f in formset.forms
        if f.cleaned_data and not f.is_blank()
    ]


def with_one_more_row(formset: Any) -> Any:
    """The parties typed so far, unbound, and one empty row for another party."""
    rows = [
        {
            name: field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
            for name, field in form.fields.items()
        }
        for form in formset.forms
    ]
    if len(rows) < MAX_PARTIES:
        rows.append({"role": PartyRole.OTHER})
    return PartyFormSet(prefix=formset.prefix, initial=rows)


# --- one form per lifecycle action -------------------------------------------------------

_TEXT = {"rows": 3}


class ActionForm(forms.Form):
    """A lifecycle action's input. ``title`` heads its box, ``submit`` labels its button."""

    title: Any = ""
    submit: Any = _("Confirm")
    danger = False

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any):
        self.case, self.user = case, user
        super().__init__(*args, **kwargs)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the workflow function."""
        return dict(self.cleaned_data)


class RouteForm(ActionForm):
    title = _("Assign (交办)")
    submit = _("Issue the assignment slip")

    unit = forms.ModelChoiceField(label=_("lead unit"), queryset=Unit.objects.none())
    co_units = forms.ModelMultipleChoiceField(
        label=_("co-handling units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    complexity = forms.ChoiceField(
        label=_("complexity"), choices=Complexity.choices, initial=Complexity.GENERAL
    )
    leader = forms.ModelChoiceField(
        label=_("responsible leader"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Only for a leader case."),
    )
    override_reason = forms.CharField(
        label=_("reason for another unit"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Needed when you choose another unit than the suggested one."),
    )
    instructions = forms.CharField(
        label=_("instructions"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any):
        self.suggestion = workflow.suggestion_for(case)
        if self.suggestion is not None:
            initial = kwargs.setdefault("initial", {})
            initial.setdefault("unit", self.suggestion.unit.pk)
            initial.setdefault("co_units", [u.pk for u in self.suggestion.co_units])
        super().__init__(*args, case=case, user=user, **kwargs)
        units = Unit.objects.for_user(user).filter(is_active=True).select_related("jurisdiction")
        self.fields["unit"].queryset = units
        self.fields["co_units"].queryset = units
        self.fields["leader"].queryset = User.objects.for_user(user).filter(
            role=Role.LEADER, is_active=True
        )
        if self.suggestion is not None:
            self.fields["unit"].help_text = _("Suggested by the routing rules: %(unit)s") % {
                "unit": self.suggestion.unit.name
            }


class AcceptForm(ActionForm):
    title = _("Accept (承办)")
    submit = _("Accept the case")


class ReturnForm(ActionForm):
    title = _("Return to the director")
    submit = _("Return the case")
    danger = True

    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs=_TEXT))


class RecordActionForm(ActionForm):
    title = _("Record an action")
    submit = _("Add to the timeline")

    kind = forms.ChoiceField(label=_("kind"), choices=list(workflow.ACTION_KINDS.items()))
    note = forms.CharField(
        label=_("what was done"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
    public = forms.BooleanField(label=_("shown to the resident"), required=False)


class RequestExtensionForm(ActionForm):
    title = _("Request an extension")
    submit = _("Send the request")

    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs=_TEXT))
    new_deadline = forms.DateField(
        label=_("new deadline"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def arguments(self) -> dict[str, Any]:
        return {
            "reason": self.cleaned_data["reason"],
            "new_deadline": self.cleaned_data["new_deadline"],
        }


class DecideExtensionForm(ActionForm):
    title = _("Decide the extension request")
    submit = _("Record the decision")

    request = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Needed when you refuse."),
    )

    def arguments(self) -> dict[str, Any]:
        return {
            "approve": self.cleaned_data["decision"] == "approve",
            "note": self.cleaned_data["note"],
        }


class SubmitResultForm(ActionForm):
    title = _("Submit the result")
    submit = _("Submit the result")

    result = forms.CharField(
        label=_("result"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class EscalateForm(ActionForm):
    title = _("Escalate to the higher level")
    submit = _("Escalate")

    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs=_TEXT))


class TransferOutForm(ActionForm):
    title = _("Transfer out")
    submit = _("Transfer out")
    danger = True

    to_body = forms.CharField(
        label=_("transferred to"),
        max_length=100,
        required=False,
        help_text=_("The body outside this jurisdiction's powers that takes the matter."),
    )
    note_for_resident = forms.CharField(
        label=_("note for the resident"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_(
            "Where and how the resident follows the matter up; shown on the tracking page."
        ),
    )


class CloseForm(ActionForm):
    title = _("Close (销案)")
    submit = _("Close the case")

    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs=_TEXT))


class FollowUpForm(ActionForm):
    title = _("Follow-up (回访)")
    submit = _("Record the follow-up")

    satisfaction = forms.ChoiceField(
        label=_("satisfaction"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    comment = forms.CharField(
        label=_("resident's comment"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
    reopen = forms.BooleanField(
        label=_("reopen the case for the unit"),
        required=False,
        help_text=_("Only when the resident is dissatisfied."),
    )
    close_reason = forms.CharField(
        label=_("reason for keeping it closed"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Needed when the resident is dissatisfied and the case stays closed."),
    )


class ReopenForm(ActionForm):
    title = _("Order re-handling")
    submit = _("Reopen the case")
    danger = True

    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs=_TEXT))


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "route": RouteForm,
    "accept": AcceptForm,
    "return": ReturnForm,
    "record_action": RecordActionForm,
    "request_extension": RequestExtensionForm,
    "decide_extension": DecideExtensionForm,
    "submit_result": SubmitResultForm,
    "escalate": EscalateForm,
    "transfer_out": TransferOutForm,
    "close": CloseForm,
    "follow_up": FollowUpForm,
    "reopen": ReopenForm,
}


class AttachForm(forms.Form):
    """Material added to a case: photos, documents, a result document."""

    kind = forms.ChoiceField(label=_("kind"), choices=AttachmentKind.choices)
    files = MultipleFileField(label=_("files"), required=True)

    def items(self) -> list[workflow.NewAttachment]:
        kind = self.cleaned_data["kind"]
        return [workflow.NewAttachment(f, kind) for f in self.cleaned_data["files"]]


class EscalationMaterialForm(forms.Form):
    """One file input for each document escalation needs (DESIGN.md §3)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for kind in workflow.ESCALATION_ATTACHMENTS:
            self.fields[kind] = MultipleFileField(label=AttachmentKind(kind).label)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any(data.get(kind) for kind in workflow.ESCALATION_ATTACHMENTS):
            raise ValidationError(_("Choose at least one file."), code="required")
        return data

    def items(self) -> list[workflow.NewAttachment]:
        return [
            workflow.NewAttachment(f, kind)
            for kind in workflow.ESCALATION_ATTACHMENTS
            for f in self.cleaned_data.get(kind) or []
        ]
