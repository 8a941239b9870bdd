"""Forms of the meeting pages: each reads what was typed into Python values.

What is allowed and what is missing is decided by ``services``; the views put its reasons
back on these forms by field name, so most fields are optional here. Every list of people
comes from ``rules``, so nobody outside the meeting's jurisdiction can be chosen.
"""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yimen.mediation.forms import DateTimeLocalField
from yimen.org.models import User

from . import rules
from .models import Attendance, Meeting

_TEXT = {"rows": 3}
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} · {obj.get_role_display()} · {obj.jurisdiction}"


class MeetingForm(forms.Form):
    """Plan a meeting (with its month) or change a planned one (without)."""

    month = forms.DateField(
        label=_("month"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("YYYY-MM"),
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
    )
    starts_at = DateTimeLocalField(label=_("date and time"), required=False)
    place = forms.CharField(
        label=pgettext_lazy("monthly meeting", "place"), max_length=100, required=False
    )
    chair = StaffChoiceField(
        label=pgettext_lazy("monthly meeting", "chair"),
        queryset=User.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose the chair from the list.")},
    )

    def __init__(self, *args: Any, path: str, meeting: Meeting | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = rules.chair_choices(path)
        if meeting is not None:
            del self.fields["month"]
        elif not self.is_bound:
            self.initial.setdefault("month", timezone.localdate().replace(day=1))


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("item"), max_length=300, required=False)
    detail = forms.CharField(label=_("details"), required=False, widget=forms.Textarea(attrs=_TEXT))


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("minutes"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )


PRESENT, ABSENT = "present", "absent"


class AttendanceForm(forms.Form):
    """One row per staff member of the meeting's jurisdiction: present, absent (why), or
    not recorded; and the guests without an account."""

    others = forms.CharField(
        label=_("other attendees"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Guests without an account, one per line."),
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.staff = list(rules.attendee_choices(meeting).order_by("jurisdiction__path", "pk"))
        marks = {a.user_id: a for a in Attendance.objects.filter(meeting=meeting)}
        choices = [("", "—"), (PRESENT, _("present")), (ABSENT, _("absent"))]
        for user in self.staff:
            mark = marks.get(user.pk)
            self.fields[f"at_{user.pk}"] = forms.ChoiceField(
                label=str(user), choices=choices, required=False,
                initial=(PRESENT if mark.present else ABSENT) if mark else "",
            )  # fmt: skip
            self.fields[f"why_{user.pk}"] = forms.CharField(
                label=_("reason for absence"), max_length=200, required=False,
                initial=mark.reason if mark else "",
            )  # fmt: skip
        if not self.is_bound:
            self.initial.setdefault("others", meeting.other_attendees)

    def rows(self) -> list[tuple[User, Any, Any]]:
        return [(u, self[f"at_{u.pk}"], self[f"why_{u.pk}"]) for u in self.staff]

    def marks(self) -> tuple[list[User], list[tuple[User, str]]]:
        """Those marked present, and those marked absent with the reason typed."""
        data = self.cleaned_data
        present = [u for u in self.staff if data.get(f"at_{u.pk}") == PRESENT]
        absent = [
            (u, data.get(f"why_{u.pk}", "")) for u in self.staff if data.get(f"at_{u.pk}") == ABSENT
        ]
        return present, absent


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=pgettext_lazy("monthly meeting", "decision"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
    )
    owner = StaffChoiceField(
        label=_("owner"),
        queryset=User.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("Choose the owner among the staff of this meeting's jurisdiction.")
        },
    )
    working_days = forms.IntegerField(
        label=_("due in working days"),
        required=False,
        help_text=_("Counted from the meeting's day; or give a date below."),
    )
    deadline = forms.DateField(label=_("or due on"), required=False, widget=_DATE)

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = rules.staff_choices(meeting).order_by(
            "jurisdiction__path", "username"
        )


class CompleteTaskForm(forms.Form):
    result = forms.CharField(
        label=_("what was done"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )


class ReopenTaskForm(forms.Form):
    reason = forms.CharField(
        label=_("why it is reopened"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
    deadline = forms.DateField(
        label=_("new deadline"),
        required=False,
        widget=_DATE,
        help_text=_("Needed when the deadline has passed."),
    )
