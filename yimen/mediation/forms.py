"""Forms of the mediation pages: each reads what was typed into Python values.

Whether a step is allowed and what it needs is decided by ``services``; the views put its
errors back on these forms by field name. Every choice list comes from the mediation itself
(its case's parties, its committee's roster), so nothing outside it can be chosen.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.cases.forms import MultipleFileField
from yimen.cases.models import Case
from yimen.org.models import User

from . import services
from .models import (
    NEEDS_NEXT_PATH,
    CommitteeMember,
    Consent,
    Gender,
    Mediation,
    MemberRole,
    NextPath,
    Outcome,
    Performed,
)

_TEXT = {"rows": 3}
_MINUTE = "%Y-%m-%dT%H:%M"


def _now_minute() -> str:
    return timezone.localtime().strftime(_MINUTE)


class DateTimeLocalField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_MINUTE)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CommitteeMember) -> str:
        return f"{obj.name} · {obj.get_role_display()}"


class MembersField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple(attrs={"class": "choices"})

    def label_from_instance(self, obj: CommitteeMember) -> str:
        return obj.name


class StepForm(forms.Form):
    """One step of a mediation. ``title`` heads its box, ``submit`` labels its button."""

    title: Any = ""
    submit: Any = _("Confirm")
    danger = False

    def __init__(self, *args: Any, case: Case, mediation: Mediation | None, **kwargs: Any):
        self.case, self.mediation = case, mediation
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the service function."""
        return dict(self.cleaned_data)

    def members(self) -> Any:
        """The committee's active members who are not recused from this mediation."""
        recused = self.mediation.recusals.values("member_id")
        return CommitteeMember.objects.filter(
            committee_id=self.mediation.committee_id, is_active=True
        ).exclude(pk__in=recused)

    def _one_of(self, queryset: Any, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return None
        item = queryset.filter(pk=value).first()
        if item is None:
            raise ValidationError(_("This is no longer there: reload the page."))
        return item


class ConsentForm(StepForm):
    title = _("Consent to mediation")
    submit = _("Record")

    party = forms.ModelChoiceField(label=_("party"), queryset=None)
    decision = forms.ChoiceField(
        label=_("consent"),
        choices=Consent.choices,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs=_TEXT))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = self.case.parties.all()
        self.fields["party"].label_from_instance = lambda p: f"{p.name} · {p.get_role_display()}"


class RightsNoticeForm(StepForm):
    title = _("The right to go to court")
    submit = _("Record that the parties were told")

    given_by = MemberChoiceField(label=_("told by"), queryset=None)
    given_at = DateTimeLocalField(label=_("when"))

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("initial", {}).setdefault("given_at", _now_minute())
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = self.members()


class MediatorsForm(StepForm):
    title = _("Mediators")
    submit = _("Assign")

    members = MembersField(label=_("mediators"), queryset=None, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = self.members()
        if not self.is_bound:
            self.initial["members"] = list(self.mediation.mediators.values_list("pk", flat=True))


class RecusalForm(StepForm):
    title = _("Recusal (回避)")
    submit = _("Record the recusal")
    danger = True

    member = MemberChoiceField(label=_("member"), queryset=None)
    reason = forms.CharField(
        label=_("how the member is related to a party"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = self.members()


class _SessionFields(StepForm):
    starts_at = DateTimeLocalField(label=_("date and time"))
    place = forms.CharField(label=_("venue"), max_length=200, required=False)
    mediators = MembersField(label=_("mediators"), queryset=None, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["mediators"].queryset = self.members()
        if not self.is_bound:
            self.initial.setdefault(
                "mediators", list(self.mediation.mediators.values_list("pk", flat=True))
            )


class ScheduleSessionForm(_SessionFields):
    title = _("Schedule a session")
    submit = _("Schedule")


class RecordSessionForm(_SessionFields):
    title = _("Record a session held")
    submit = _("Record the session")

    session = forms.IntegerField(widget=forms.HiddenInput, required=False)
    attendees = forms.CharField(
        label=_("attendees"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Names, one per line."),
    )
    record = forms.CharField(
        label=_("what was said and agreed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    files = MultipleFileField(label=_("documents"), help_text=_("Photos, PDF or Office documents."))

    def clean_session(self) -> Any:
        return self._one_of(self.mediation.sessions.filter(recorded_at__isnull=True), "session")


class AgreementForm(StepForm):
    title = _("Agreement (人民调解协议书)")
    submit = _("Save the draft")

    agreement = forms.IntegerField(widget=forms.HiddenInput, required=False)
    dispute_summary = forms.CharField(
        label=_("main facts of the dispute"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
    terms = forms.CharField(
        label=_("terms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One term per line; they are numbered."),
    )
    performance_method = forms.CharField(
        label=_("how it is performed"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    performance_deadline = forms.DateField(
        label=_("performed by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.DecimalField(
        label=_("amount involved (yuan)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    is_partial = forms.BooleanField(label=_("partial agreement"), required=False)
    unresolved = forms.CharField(
        label=_("what remains unresolved"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only for a partial agreement."),
    )

    def clean_agreement(self) -> Any:
        return self._one_of(self.mediation.agreements.all(), "agreement")

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        text = services.AgreementText(
            dispute_summary=data["dispute_summary"],
            terms=data["terms"],
            performance_method=data["performance_method"],
            performance_deadline=data["performance_deadline"],
            amount=data["amount"],
            is_partial=data["is_partial"],
            unresolved=data["unresolved"],
        )
        return {"text": text, "agreement": data["agreement"]}


class _NextPathFields(StepForm):
    next_path = forms.ChoiceField(
        label=_("path the parties chose"),
        choices=NextPath.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    next_body = forms.CharField(
        label=_("body"),
        max_length=100,
        required=False,
        help_text=_("Left empty: the usual body (the area's people's court tribunal, …)."),
    )
    next_path_note = forms.CharField(
        label=_("note for the parties"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )


class SignForm(_NextPathFields):
    title = _("Sign the agreement")
    submit = _("The parties signed: freeze and store it")

    agreement = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("next_path", "next_body", "next_path_note"):
            self.fields[name].help_text = _("For a partial agreement: the path for the rest.")

    def clean_agreement(self) -> Any:
        return self._one_of(self.mediation.agreements.all(), "agreement")

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class JudicialForm(StepForm):
    title = _("Judicial confirmation (司法确认)")
    submit = _("Prepare the application")

    agreement = forms.IntegerField(widget=forms.HiddenInput)
    court = forms.CharField(label=_("court"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("court", services.default_body(self.case, NextPath.COURT))

    def clean_agreement(self) -> Any:
        return self._one_of(self.mediation.agreements.all(), "agreement")


class ConcludeForm(_NextPathFields):
    title = _("No agreement: the parties' next path")
    submit = _("Record the outcome and refer")
    danger = True

    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[(o.value, o.label) for o in NEEDS_NEXT_PATH],
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    reason = forms.CharField(
        label=_("what happened"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
    field_order = ["outcome", "reason", "next_path", "next_body", "next_path_note"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.mediation is not None:
            decisions = {c.decision for c in services.consent_state(self.mediation).values()}
            if Consent.REFUSED in decisions:
                self.initial.setdefault("outcome", Outcome.REFUSED)
            elif Consent.WITHDRAWN in decisions:
                self.initial.setdefault("outcome", Outcome.WITHDRAWN)
            self.initial.setdefault("next_path", NextPath.COURT)


class VisitForm(StepForm):
    title = _("Follow-up visit (回访)")
    submit = _("Record the visit")

    visit = forms.IntegerField(widget=forms.HiddenInput)
    performed = forms.ChoiceField(
        label=_("agreement performed?"),
        choices=Performed.choices,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    settled = forms.TypedChoiceField(
        label=_("dispute settled?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Not performed or not settled reopens the case for the committee."),
    )

    def clean_visit(self) -> Any:
        return self._one_of(self.mediation.follow_up_visits.filter(done_at__isnull=True), "visit")


class TransferForm(StepForm):
    title = _("Outside people's mediation: transfer")
    submit = _("Transfer the matter")
    danger = True

    reason = forms.ChoiceField(label=_("why"), choices=list(services.OUTSIDE_REASONS.items()))
    to_body = forms.CharField(label=_("transferred to"), max_length=100, required=False)
    note = forms.CharField(
        label=_("note for the resident"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Where and how the resident follows the matter up."),
    )

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class UrgentForm(StepForm):
    title = _("Risk of violence: report now")
    submit = _("Mark urgent and notify")
    danger = True

    reason = forms.CharField(
        label=_("the risk"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("The director and the leaders on duty are notified at once."),
    )


STEP_FORMS: dict[str, type[StepForm]] = {
    "consent": ConsentForm,
    "notice": RightsNoticeForm,
    "mediators": MediatorsForm,
    "recuse": RecusalForm,
    "schedule": ScheduleSessionForm,
    "record_session": RecordSessionForm,
    "agreement": AgreementForm,
    "sign": SignForm,
    "judicial": JudicialForm,
    "conclude": ConcludeForm,
    "visit": VisitForm,
    "transfer": TransferForm,
    "urgent": UrgentForm,
}


# --- the roster ---------------------------------------------------------------------------------


class MemberForm(forms.Form):
    """One line of a committee's roster; an empty new line is no member."""

    member = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("full name"), max_length=50, required=False)
    gender = forms.ChoiceField(
        label=_("gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    role = forms.ChoiceField(label=_("role"), choices=MemberRole.choices, initial=MemberRole.MEMBER)
    phone = forms.CharField(
        label=_("phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    account = forms.ModelChoiceField(label=_("staff account"), queryset=None, required=False)
    is_active = forms.BooleanField(label=_("on the committee"), required=False, initial=True)

    def __init__(self, *args: Any, accounts: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts if accounts is not None else User.objects.none()
        for field in self.fields.values():  # the roster's column headings label the inputs
            field.widget.attrs.setdefault("aria-label", field.label)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("member") and not data.get("name", "").strip()


MemberFormSet = forms.formset_factory(MemberForm, extra=3, max_num=30)


class CommitteeContactForm(forms.Form):
    phone = forms.CharField(label=_("committee phone"), max_length=32, required=False)
    address = forms.CharField(label=_("committee address"), max_length=200, required=False)
