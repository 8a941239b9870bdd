from django.shortcuts import render

from yimen.org.models import Jurisdiction, Unit
from yimen.org.permissions import can_manage_calendar, require, staff
from yimen.workdays.services import calendar_warnings


@require(staff)
def home(request):
    user = request.user
    context = {
        "missing_years": calendar_warnings() if can_manage_calendar(user) else [],
        "jurisdiction_count": Jurisdiction.objects.for_user(user).count(),
        "unit_count": Unit.objects.for_user(user).count(),
    }
    return render(request, "home/home.html", context)
