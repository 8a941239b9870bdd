"""Forms of the calendar page: they validate input and hand plain values to the services."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .services import parse_schedule

# Years a schedule may be entered for; wide enough for any real deadline, narrow enough
# that a typo such as 20277 is caught.
MIN_YEAR, MAX_YEAR = 2000, 2100


def _iso_date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _Prefixed(forms.Form):
    """Several forms share one page: give each its own element ids, keep the field names."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


def _year_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, **kwargs)


class YearForm(forms.Form):
    """The ``?year=`` of the calendar page."""

    year = _year_field(required=False)


class SpecialDayForm(_Prefixed):
    """Add or change one day: a local holiday, or a weekend the schedule makes a working day."""

    id_prefix = "day"
    date = forms.DateField(label=_("Date"), widget=_iso_date_input())
    is_working = forms.TypedChoiceField(
        label=_("This day is"),
        choices=[("0", _("a holiday (no work)")), ("1", _("a working day (调休)"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect(attrs={"class": "choices"}),
        initial="0",
    )
    name = forms.CharField(
        label=_("Name"), max_length=50, required=False, help_text=_("For example 元旦 or 春节调休.")
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Why the day differs, e.g. the local notice that declared it."),
    )


class LoadYearForm(_Prefixed):
    id_prefix = "load"
    year = _year_field(widget=forms.HiddenInput)


class PublishYearForm(_Prefixed):
    """A year's schedule typed or pasted by an administrator, one day a line."""

    id_prefix = "publish"
    year = _year_field(widget=forms.HiddenInput)
    # A bound form shows the raw input again, so after an error the administrator gets back
    # exactly what they typed, and only the bad lines need fixing.
    text = forms.CharField(
        label=_("Holidays and adjusted working days"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_(
            "One day a line: the date, 休 (holiday) or 班 (working day), then the name, e.g. "
            "“2027-01-01 休 元旦” or “2027-02-07 班 春节调休”. Publishing replaces every "
            "special day of the year, local holidays included."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "year" in cleaned and "text" in cleaned:
            try:
                cleaned["lines"] = parse_schedule(cleaned["text"], cleaned["year"])
            except forms.ValidationError as error:
                self.add_error("text", error)
        return cleaned


class DeadlineForm(_Prefixed):
    """The deadline calculator: a start date and a number of working days."""

    id_prefix = "calc"
    start = forms.DateField(
        label=_("Start date"),
        widget=_iso_date_input(),
        help_text=_("Counting begins the day after, e.g. the day after the assignment slip."),
    )
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=366)

    @classmethod
    def blank(cls) -> "DeadlineForm":
        """An unbound form starting today for a general matter (7 working days)."""
        return cls(initial={"start": timezone.localdate(), "days": 7})
