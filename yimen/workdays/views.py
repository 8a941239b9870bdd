"""The calendar page, the administrator's changes to it, and the deadline calculator.

Views only validate and call ``services``, which write the audit events.
"""

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.org.permissions import can_manage_calendar, require, staff

from . import services
from .forms import (
    MAX_YEAR,
    MIN_YEAR,
    DeadlineForm,
    LoadYearForm,
    PublishYearForm,
    SpecialDayForm,
    YearForm,
)
from .models import SpecialDay
from .sources import YearNotPublished


def _year_url(year: int) -> str:
    return f"{reverse('workdays:year')}?year={year}"


def _page_year(data: Any) -> int:
    """The year a request is about; a missing or bad value means this year."""
    form = YearForm(data)
    if form.is_valid() and form.cleaned_data["year"]:
        return form.cleaned_data["year"]
    return timezone.localdate().year


def _render_year(request: HttpRequest, year: int, **forms: Any) -> HttpResponse:
    """The calendar page; a failed POST passes its bound form so the errors show in place."""
    summary = services.year_summary(year)
    is_admin = can_manage_calendar(request.user)
    context = {
        "year": year,
        "prev_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "summary": summary,
        "is_admin": is_admin,
        "calculator": DeadlineForm.blank(),
    }
    if is_admin:
        context["day_form"] = forms.get("day_form") or SpecialDayForm(
            initial=_day_initial(request, summary)
        )
        context["publish_form"] = forms.get("publish_form") or PublishYearForm(
            initial={"year": year}
        )
        context["load_form"] = LoadYearForm(initial={"year": year})
    return render(request, "workdays/year.html", context)


def _day_initial(request: HttpRequest, summary: services.YearSummary) -> dict[str, Any]:
    """``?edit=YYYY-MM-DD`` fills the day form with that day, to change it."""
    try:
        wanted = date.fromisoformat(request.GET.get("edit", ""))
    except ValueError:
        return {}
    for day in summary.days:
        if day.date == wanted:
            return {
                "date": day.date,
                "is_working": "1" if day.is_working else "0",
                "name": day.name,
                "note": day.note,
            }
    return {"date": wanted}


@require(staff)
def year(request: HttpRequest) -> HttpResponse:
    """One year of the calendar: whether it is published, and its special days."""
    form = YearForm(request.GET)
    if not form.is_valid():
        raise Http404
    return _render_year(request, form.cleaned_data["year"] or timezone.localdate().year)


@require(can_manage_calendar)
@require_POST
def set_day(request: HttpRequest) -> HttpResponse:
    """Add or change one day (e.g. a local holiday); audited by the service."""
    form = SpecialDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The day was not saved: see the errors below."))
        return _render_year(request, _page_year(request.POST), day_form=form)
    day = form.cleaned_data["date"]
    services.set_special_day(
        day,
        is_working=form.cleaned_data["is_working"],
        name=form.cleaned_data["name"],
        note=form.cleaned_data["note"],
        actor=request.user,
    )
    messages.success(request, _("Saved %(date)s.") % {"date": day.isoformat()})
    return redirect(_year_url(day.year))


@require(can_manage_calendar)
@require_POST
def delete_day(request: HttpRequest, day: date) -> HttpResponse:
    """Remove one special day, so the weekday rule applies to it again; audited."""
    special = get_object_or_404(SpecialDay, date=day)
    services.remove_special_day(special, actor=request.user)
    messages.success(request, _("Removed %(date)s.") % {"date": day.isoformat()})
    return redirect(_year_url(day.year))


@require(can_manage_calendar)
@require_POST
def load_year(request: HttpRequest) -> HttpResponse:
    """Load the year from the installed package (the State Council schedule)."""
    form = LoadYearForm(request.POST)
    if not form.is_valid():
        raise Http404
    year = form.cleaned_data["year"]
    try:
        count = services.load_year_from_package(year, actor=request.user)
    except YearNotPublished:
        messages.error(
            request,
            _(
                "The installed package has no schedule for %(year)d. Enter it by hand from "
                "the State Council notice."
            )
            % {"year": year},
        )
    else:
        messages.success(
            request,
            _("Loaded %(year)d from the package: %(count)d special days.")
            % {"year": year, "count": count},
        )
    return redirect(_year_url(year))


@require(can_manage_calendar)
@require_POST
def publish_year(request: HttpRequest) -> HttpResponse:
    """Publish a year typed from the State Council notice, before the package has it."""
    form = PublishYearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was published: fix the lines named below."))
        year = form.cleaned_data.get("year") or _page_year(request.POST)
        return _render_year(request, year, publish_form=form)
    year, lines = form.cleaned_data["year"], form.cleaned_data["lines"]
    services.publish_year(year, lines, actor=request.user)
    messages.success(
        request,
        _("Published %(year)d: %(count)d special days.") % {"year": year, "count": len(lines)},
    )
    return redirect(_year_url(year))


@require(staff)
def deadline(request: HttpRequest) -> HttpResponse:
    """The deadline calculator: start date + N working days, provisional when it guesses."""
    form = DeadlineForm(request.GET) if request.GET else DeadlineForm.blank()
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        start, days = form.cleaned_data["start"], form.cleaned_data["days"]
        result = services.deadline_after(start, days)
        context.update(
            start=start,
            days=days,
            result=result,
            unpublished=services.provisional_years(start, result.date),
        )
    return render(request, "workdays/deadline.html", context)
