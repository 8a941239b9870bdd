"""The incident pages' forms: the first report fits one phone screen; the rest comes later."""

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yimen.cases.attachments import check_upload
from yimen.cases.models import Category
from yimen.org.models import DutyShift, Jurisdiction, Shift, User
from yimen.portal.photos import resized_jpeg

from .models import ContingencyPlan, IncidentType, Level, Stage


class FirstReportForm(forms.Form):
    client_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    jurisdiction = forms.ModelChoiceField(label=_("Where (place)"), queryset=None)
    situation = forms.CharField(
        label=_("What is happening"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    incident_type = forms.ChoiceField(
        label=_("Type of incident"), choices=IncidentType.choices, initial="other"
    )
    address = forms.CharField(label=_("Address or landmark"), required=False, max_length=200)
    latitude = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=9,
                                  decimal_places=6)  # fmt: skip
    longitude = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=9,
                                   decimal_places=6)  # fmt: skip
    reporter_name = forms.CharField(label=_("Reported by"), required=False, max_length=50)
    reporter_contact = forms.CharField(label=_("Reporter's contact"), required=False, max_length=50)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = Jurisdiction.objects.for_user(user)
        self.fields["jurisdiction"].initial = user.jurisdiction_id
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())


class DetailsForm(forms.Form):
    incident_type = forms.ChoiceField(label=_("Type of incident"), choices=IncidentType.choices)
    occurred_at = forms.DateTimeField(
        label=_("Happened at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip
    address = forms.CharField(label=_("Address or landmark"), required=False, max_length=200)
    account = forms.CharField(label=_("Brief account"), required=False, widget=forms.Textarea)
    assessment = forms.CharField(
        label=_("Preliminary assessment of severity and impact"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    measures = forms.CharField(label=_("Measures already taken"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    support_needed = forms.CharField(label=_("Support needed"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    reporter_name = forms.CharField(label=_("Reported by"), required=False, max_length=50)
    reporter_contact = forms.CharField(label=_("Reporter's contact"), required=False, max_length=50)


class GradeForm(forms.Form):
    level = forms.ChoiceField(label=_("Response level"), choices=Level.choices)
    reason = forms.CharField(
        label=_("Reason (when the level changes)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class StageForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Next stage"), choices=[(Stage.RESPONSE, Stage.RESPONSE.label),
                                        (Stage.RECOVERY, Stage.RECOVERY.label)],
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActivateForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=None)

    def __init__(self, *args: Any, user: Any, incident: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plans = ContingencyPlan.objects.for_user(user).filter(is_active=True)
        self.fields["plan"].queryset = plans
        same_type = plans.filter(incident_type=incident.incident_type).first()
        if same_type:
            self.fields["plan"].initial = same_type.pk


def photo_or_none(upload: Any) -> Any:
    """A photo checked by its content and re-encoded (no EXIF, no GPS), or a form error."""
    if not upload:
        return None
    check_upload(upload)
    if not upload.content_type.startswith("image/"):
        raise ValidationError(_("%(name)s is not a photo.") % {"name": upload.name})
    return resized_jpeg(upload)


class UpdateForm(forms.Form):
    note = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("Photo"), required=False)

    def clean_photo(self) -> Any:
        return photo_or_none(self.cleaned_data.get("photo"))


class CloseForm(forms.Form):
    summary = forms.CharField(label=_("After-action summary"), widget=forms.Textarea)


class SpawnCaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(
        is_active=True))  # fmt: skip
    description = forms.CharField(label=_("Account of the matter"), widget=forms.Textarea)
    applicant = forms.CharField(label=_("Applicant's name"), max_length=50)
    phone = forms.CharField(label=_("Applicant's phone"), required=False, max_length=32)


class LinkCaseForm(forms.Form):
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=32)


class PlanForm(forms.ModelForm):
    teams = forms.CharField(
        label=_("Teams"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One member per line: team | name | role in the team | phone | staff "
                    "account (optional)."),
    )  # fmt: skip

    class Meta:
        model = ContingencyPlan
        fields = ["jurisdiction", "incident_type", "title", "steps", "resources", "is_active"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["jurisdiction"].queryset = Jurisdiction.objects.for_user(user)
        if self.instance.pk and not self.is_bound:
            self.initial["teams"] = "\n".join(
                " | ".join([team.name, m.name, m.duty, m.phone, m.account.username if m.account
                            else ""]).rstrip(" |")
                for team in self.instance.teams.all() for m in team.members.all()
            )  # fmt: skip

    def clean_teams(self) -> list[tuple[str, str, str, str, Any]]:
        """Each line parsed; a bad line is named, and nothing is saved until all are good."""
        rows, problems = [], []
        staff = User.objects.for_user(self.user)
        for number, line in enumerate(self.cleaned_data.get("teams", "").splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + [""] * 5
            team, name, duty, phone, username = parts[:5]
            account = staff.filter(username=username).first() if username else None
            if not team or not name:
                problems.append(_("Line %(n)d: name the team and the member.") % {"n": number})
            elif username and account is None:
                problems.append(
                    _("Line %(n)d: no staff account “%(u)s” in your jurisdiction.")
                    % {"n": number, "u": username}
                )
            rows.append((team, name, duty, phone, account))
        if problems:
            raise ValidationError(problems)
        return rows


class DutyShiftForm(forms.ModelForm):
    class Meta:
        model = DutyShift
        fields = ["jurisdiction", "day", "shift", "user", "is_leader"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = Jurisdiction.objects.for_user(user)
        self.fields["jurisdiction"].initial = user.jurisdiction_id
        self.fields["user"].queryset = User.objects.for_user(user).filter(is_active=True)
        self.fields["shift"].choices = Shift.choices
