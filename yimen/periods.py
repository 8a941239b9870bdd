"""Reporting periods: local days from ``start`` to ``end``, and the form that reads them.

Every report and ledger covers a period of whole local days (``TIME_ZONE``). The presets
are the periods the regulations file on: the month, the half month (1st–15th, 16th–end,
for the half-monthly screening report) and the quarter.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Period:
    """Local days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return local_midnight(self.start)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period (the next day's local midnight)."""
        return local_midnight(self.end + timedelta(days=1))

    def contains(self, field: str = "at") -> Q:
        """Rows whose datetime ``field`` falls in the period."""
        return Q(**{f"{field}__gte": self.starts_at, f"{field}__lt": self.ends_at})

    def contains_day(self, field: str) -> Q:
        """Rows whose date ``field`` falls in the period."""
        return Q(**{f"{field}__gte": self.start, f"{field}__lte": self.end})

    def params(self) -> dict[str, str]:
        """The period as query parameters, for links that keep it."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} ~ {self.end:%Y-%m-%d}"


def month_of(day: date) -> Period:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return Period(day.replace(day=1), following - timedelta(days=1))


def last_month(today: date) -> Period:
    return month_of(today.replace(day=1) - timedelta(days=1))


def quarter_of(day: date) -> Period:
    first_month = 3 * ((day.month - 1) // 3) + 1
    return Period(date(day.year, first_month, 1), month_of(date(day.year, first_month + 2, 1)).end)


def half_month_of(day: date) -> Period:
    """The 1st–15th or the 16th–last day of ``day``'s month: the half-monthly report's span."""
    if day.day <= 15:
        return Period(day.replace(day=1), day.replace(day=15))
    return Period(day.replace(day=16), month_of(day).end)


def last_half_month(today: date) -> Period:
    return half_month_of(half_month_of(today).start - timedelta(days=1))


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

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


def read_period(
    params: Any, today: date, default: Period | None = None
) -> tuple[PeriodForm, Period | None]:
    """The bound form and its period: ``default`` (this month) when no dates are given,
    None if the dates are invalid (the form then says why)."""
    if not params.get("start") and not params.get("end"):
        period = default or month_of(today)
        return PeriodForm(initial={"start": period.start, "end": period.end}), period
    form = PeriodForm(params)
    if not form.is_valid():
        return form, None
    return form, Period(form.cleaned_data["start"], form.cleaned_data["end"])
