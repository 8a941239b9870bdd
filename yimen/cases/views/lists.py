"""The case lists: 'my work', the filtered case list and the director's routing queue.

Every list starts from ``Case.objects.for_user``; the tables show parties' phone and ID
numbers only masked (DESIGN.md §1), and each deadline with the working days left.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from yimen.org.models import Role, Unit, User
from yimen.org.permissions import require, staff
from yimen.search import query as search_query
from yimen.search.query import is_ranked, snippets

from .. import inbox as work
from ..filters import filter_cases
from ..models import Case, Complexity, Party, Status
from ..paging import Listing, newest_first
from ..presentation import masked_party, with_time_left
from ..workflow import suggestion_for

PAGE_SIZE = 50

S = Status
STATUS_BADGES = {
    S.RESOLVED: "ok",
    S.CLOSED: "ok",
    S.ARCHIVED: "ok",
    S.RETURNED: "warn",
    S.ESCALATED: "warn",
    S.REOPENED: "warn",
    S.EXTENDED: "warn",
}


def decorate(cases: Iterable[Case], today: Any) -> list[Case]:
    """Deadline, working days left and status badge for each row, the calendar read once."""
    cases = with_time_left(cases, today)
    for case in cases:
        # What the row template may ask for: set, so that a missing one is not looked up
        # through a failed attribute access per row (the template engine then calls dir()).
        case.__dict__.setdefault("snippet", None)
        case.__dict__.setdefault("pending_extension", None)
        case.__dict__.setdefault("masked_parties", ())
        left = case.time_left
        case.status_class = STATUS_BADGES.get(case.status, "")
        case.days_overdue = -left.working_days if left.overdue and left.working_days else 0
    return cases


@require(staff)
def inbox(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    sections = work.inbox_for(request.user, today)
    decorate([case for section in sections for case in section.cases], today)
    return render(request, "cases/inbox.html", {"sections": sections})


@require(staff)
def case_list(request: HttpRequest) -> HttpResponse:
    """All cases the user may see, filtered, newest first (best match first for a search),
    50 a page; a search shows each case's matching passage."""
    user, today = request.user, timezone.localdate()
    cases, form = filter_cases(Case.objects.for_user(user), request.GET, user=user, today=today)
    searched = is_ranked(cases)  # a search: best matches first, as search_cases ordered them
    cases = (
        cases.select_related("category", "jurisdiction", "lead_unit")
        .defer("description", "result")  # long texts the table never shows
        .prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("id")))
    )
    if searched:
        paginator = Paginator(cases, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        listing = Listing(page, paginator.count, False, None)
    else:
        listing = newest_first(cases, request.GET, PAGE_SIZE)
    rows = listing.page.object_list = decorate(listing.page.object_list, today)
    found = snippets(rows, form.cleaned_data["q"]) if searched else {}
    for case in rows:
        case.masked_parties = [masked_party(p) for p in case.parties.all()]
        case.snippet = found.get(case.pk)
    context = {
        "form": form,
        "listing": listing,
        "page": listing.page,
        "ranked_at_most": search_query.RANKED_AT_MOST
        if searched and listing.count >= search_query.RANKED_AT_MOST
        else None,
    }
    return render(request, "cases/list.html", context)


@require(staff)
def routing_queue(request: HttpRequest) -> HttpResponse:
    """分流: each case waiting for routing, with the unit the rules suggest for it."""
    user = request.user
    if user.role != Role.DIRECTOR:
        raise PermissionDenied
    cases = decorate(work.routing_queue(user), timezone.localdate())
    # Cases of one place, category and stage share a suggestion: ask the rules once for them.
    known: dict[tuple[int, int, bool], Any] = {}
    for case in cases:
        key = (case.jurisdiction_id, case.category_id, bool(case.escalation_level))
        if key not in known:
            known[key] = suggestion_for(case)
        case.suggestion = known[key]
        case.suggested_co_ids = [u.pk for u in case.suggestion.co_units] if case.suggestion else []
    context = {
        "cases": cases,
        "units": Unit.objects.for_user(user).filter(is_active=True).select_related("jurisdiction"),
        "leaders": User.objects.for_user(user).filter(role=Role.LEADER, is_active=True),
        "complexities": Complexity.choices,
        "general": Complexity.GENERAL,
    }
    return render(request, "cases/queue.html", context)


urlpatterns = [
    path("", case_list, name="list"),
    path("inbox/", inbox, name="inbox"),
    path("queue/", routing_queue, name="routing_queue"),
]
