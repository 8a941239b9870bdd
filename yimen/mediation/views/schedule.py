"""The mediator's page (my mediations by next session, visits due) and a committee's calendar."""

import calendar
from datetime import date, datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR

from yimen.org.models import UnitKind
from yimen.org.permissions import require, staff

from .. import services
from ..permissions import can_read_mediation_reports

MINE_LIMIT = 200


@require(staff)
def mine(request: HttpRequest) -> HttpResponse:
    user = request.user
    mediations = list(services.my_mediations(user)[:MINE_LIMIT])
    own = set(
        user.committee_memberships.filter(is_active=True).values_list("mediations", flat=True)
    )
    for mediation in mediations:
        mediation.mine = mediation.pk in own
    context = {
        "mediations": mediations,
        "visits": list(services.visits_due(user)[:MINE_LIMIT]),
        "today": timezone.localdate(),
        "now": timezone.now(),
        "committees": services.committees_for(user),
        "can_read_reports": can_read_mediation_reports(user),
    }
    return render(request, "mediation/mine.html", context)


def _month(value: str | None) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@require(staff)
def session_calendar(request: HttpRequest) -> HttpResponse:
    """A month grid of one committee's sessions, Monday first."""
    user = request.user
    committees = list(services.committees_for(user).select_related("jurisdiction"))
    chosen = request.GET.get("committee", "")
    committee = next((c for c in committees if str(c.pk) == chosen), None)
    if committee is None and user.unit_id and user.unit.kind == UnitKind.MEDIATION:
        committee = next((c for c in committees if c.pk == user.unit_id), None)
    if committee is None and committees:
        committee = committees[0]
    first = _month(request.GET.get("month"))
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = timezone.make_aware(datetime.combine(weeks[0][0], time.min))
    end = timezone.make_aware(datetime.combine(weeks[-1][-1] + timedelta(days=1), time.min))
    by_day: dict[date, list] = {}
    if committee is not None:
        for session in services.sessions_between(user, committee, start, end):
            by_day.setdefault(timezone.localtime(session.starts_at).date(), []).append(session)
    grid = [
        [
            {"day": d, "in_month": d.month == first.month, "sessions": by_day.get(d, [])}
            for d in week
        ]
        for week in weeks
    ]
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    context = {
        "committees": committees,
        "committee": committee,
        "month": first,
        "grid": grid,
        "previous": previous.strftime("%Y-%m"),
        "following": following.strftime("%Y-%m"),
        "today": timezone.localdate(),
        "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)],
    }
    return render(request, "mediation/calendar.html", context)


urlpatterns = [
    path("", mine, name="mine"),
    path("calendar/", session_calendar, name="calendar"),
]
