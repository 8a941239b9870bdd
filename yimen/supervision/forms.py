"""Forms of the supervision pages: they read what was typed; ``services`` decides the rest."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yimen.cases.filters import CaseFilterForm
from yimen.cases.models import Case
from yimen.org.models import Role, Unit, User

from .queries import under_leader

_TEXT = {"rows": 3}
_DATE = forms.DateInput(attrs={"type": "date"})

# The case list's filters the desk keeps: it lists open cases only, by time left.
_ON_THE_DESK = ("unit", "leader", "category", "grid")


class DeskFilterForm(CaseFilterForm):
    """The desk's filters: unit, leader, category and place (grid), as on the case list."""

    leader = forms.ModelChoiceField(
        label=_("Leader"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("all leaders"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, user=user, **kwargs)
        for name in set(self.fields) - set(_ON_THE_DESK):
            del self.fields[name]
        self.order_fields(_ON_THE_DESK)
        self.fields["leader"].queryset = User.objects.for_user(user).filter(
            role=Role.LEADER, is_active=True
        )

    def apply(self, cases: QuerySet[Case], today: Any) -> QuerySet[Case]:
        """The case list's own filtering, with its other filters left empty, then the leader."""
        empty = CaseFilterForm({}, user=self.user)
        empty.is_valid()
        leader = self.cleaned_data.get("leader")
        self.cleaned_data = {**empty.cleaned_data, **self.cleaned_data}
        cases = super().apply(cases, today)
        if leader is not None:
            cases = cases.filter(under_leader(leader))
        return cases


class ReminderForm(forms.Form):
    text = forms.CharField(
        label=_("reminder"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the unit is reminded of, and what it must report."),
    )
    reply_by = forms.DateField(label=_("reply by"), required=False, widget=_DATE)


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("reply"), required=False, widget=forms.Textarea(attrs=_TEXT))


class ListForm(forms.Form):
    """挂牌督办: the responsible unit is one handling the case, the leader one in scope."""

    unit = forms.ModelChoiceField(label=_("responsible unit"), queryset=Unit.objects.none())
    leader = forms.ModelChoiceField(label=_("responsible leader"), queryset=User.objects.none())
    deadline = forms.DateField(label=_("deadline"), required=False, widget=_DATE)
    reason = forms.CharField(
        label=_("why it is listed"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any):
        kwargs.setdefault(
            "initial",
            {"unit": case.lead_unit_id, "leader": case.leader_id, "deadline": case.deadline},
        )
        super().__init__(*args, **kwargs)
        ids = {case.lead_unit_id, *case.co_units.values_list("pk", flat=True)} - {None}
        self.fields["unit"].queryset = Unit.objects.filter(pk__in=ids)
        self.fields["leader"].queryset = User.objects.for_user(user).filter(
            role=Role.LEADER, is_active=True
        )


class RequestReportForm(forms.Form):
    due_date = forms.DateField(label=_("report due by"), required=False, widget=_DATE)
    note = forms.CharField(
        label=_("what to report on"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )


class ProgressReportForm(forms.Form):
    text = forms.CharField(label=_("progress"), required=False, widget=forms.Textarea(attrs=_TEXT))


class CloseSupervisionForm(forms.Form):
    note = forms.CharField(
        label=_("closing note"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
