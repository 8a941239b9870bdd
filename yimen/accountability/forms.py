"""The period the tables cover: two local dates, this month unless asked otherwise."""

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .measures import Period, last_month, month_of, quarter_of


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        return data


def presets(today: date) -> list[tuple[Any, Period]]:
    return [
        (_("This month"), month_of(today)),
        (_("Last month"), last_month(today)),
        (_("This quarter"), quarter_of(today)),
    ]


def read_period(params: Any, today: date) -> tuple[PeriodForm, Period | None]:
    """The bound form and its period; this month when no dates are given, None if invalid."""
    if not params.get("start") and not params.get("end"):
        period = month_of(today)
        return PeriodForm(initial={"start": period.start, "end": period.end}), period
    form = PeriodForm(params)
    if not form.is_valid():
        return form, None
    return form, Period(form.cleaned_data["start"], form.cleaned_data["end"])
