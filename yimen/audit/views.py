from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yimen.org.models import Jurisdiction
from yimen.org.permissions import can_view_audit, require
from yimen.org.scoping import get_for_user_or_404

from .forms import EventFilterForm
from .models import Event
from .services import hash_matches

PAGE_SIZE = 50


@require(can_view_audit)
def events(request: HttpRequest) -> HttpResponse:
    """The events in the user's jurisdiction, newest first."""
    visible = Event.objects.for_user(request.user)
    form = EventFilterForm(request.GET)
    # A filter that does not validate shows nothing rather than silently everything.
    shown = form.apply(visible) if form.is_valid() else visible.none()
    page = Paginator(shown.select_related("actor").order_by("-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "audit/events.html", {"form": form, "page": page})


@require(can_view_audit)
def event(request: HttpRequest, pk: int) -> HttpResponse:
    """One event with its hashes, so an auditor can follow the chain by hand."""
    obj = get_for_user_or_404(Event, request.user, pk=pk)
    jurisdiction = (
        Jurisdiction.objects.for_user(request.user).filter(path=obj.path).first()
        if obj.path
        else None
    )
    context = {"event": obj, "intact": hash_matches(obj), "jurisdiction": jurisdiction}
    return render(request, "audit/event.html", context)
