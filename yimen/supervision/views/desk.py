"""The supervisor's desk (督查督办台): every open case in scope by time left, and re-handling.

The tiles count the same rows, with the same conditions, as the lists they open (see
``queries.tally`` and ``windows``), so a tile's number is its list's length. Below the list,
the results units have submitted wait for closing; from there the supervisor may order
re-handling (``workflow.reopen_case``), with a reason, back to the unit with a new deadline.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases import workflow
from yimen.cases.forms import ReopenForm
from yimen.cases.models import Case, Status
from yimen.cases.views.lists import decorate
from yimen.emergency.services import awaiting_report
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404
from yimen.safety.queries import overdue_rectifications

from ..forms import DeskFilterForm
from ..models import SweepRun
from ..queries import SHOW_ALL, SHOWS, open_cases, showing, tally
from ..windows import current_window
from .board import add_errors, render_board

PAGE_SIZE = 50


def _by_time_left(cases: Any) -> Any:
    return cases.order_by(F("deadline").asc(nulls_last=True), "received_at", "pk")


@require(staff)
def desk(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _render(
    request: HttpRequest,
    *,
    bound: tuple[int, Any] | None = None,
    error: workflow.WorkflowError | None = None,
) -> HttpResponse:
    user, today = request.user, timezone.localdate()
    window = current_window(today)
    form = DeskFilterForm(request.GET, user=user)
    cases = Case.objects.for_user(user)
    cases = form.apply(cases, today) if form.is_valid() else cases.none()
    show = request.GET.get("show", SHOW_ALL)
    show = show if show in SHOWS else SHOW_ALL

    waiting = open_cases(cases)
    listed = _by_time_left(showing(waiting, show, window)).select_related(
        "category", "jurisdiction", "lead_unit"
    )
    page = Paginator(listed.defer("description", "result"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = decorate(page.object_list, today)

    resolved = decorate(
        _by_time_left(cases.filter(status=Status.RESOLVED)).select_related(
            "category", "jurisdiction", "lead_unit"
        )[:PAGE_SIZE],
        today,
    )
    bound_pk, bound_form = bound or (None, None)
    for case in resolved:
        case.may_reopen = "reopen" in workflow.allowed_actions(user, case)
        if case.may_reopen:
            unbound = ReopenForm(case=case, user=user, auto_id=f"id_reopen_{case.pk}_%s")
            case.reopen_form = bound_form if case.pk == bound_pk else unbound
    context = {
        "form": form,
        "tally": tally(waiting, window),
        "show": show,
        "page": page,
        "window": window,
        "resolved": resolved,
        "last_run": SweepRun.objects.filter(finished_at__isnull=False).first(),
        "error": error,
        "incidents_awaiting": awaiting_report(user),
        "overdue_rectifications": overdue_rectifications(user, today),
    }
    return render(request, "supervision/desk.html", context, status=error.status if error else 200)


@require(staff)
@require_POST
def rehandle(request: HttpRequest, pk: int) -> HttpResponse:
    """再办: the supervisor sends a resolved case back to its unit, with a reason."""
    user = request.user
    case = get_for_user_or_404(Case, user, pk=pk)
    form = ReopenForm(request.POST, case=case, user=user, auto_id=f"id_reopen_{case.pk}_%s")
    try:
        workflow.check_action("reopen", case, user)
        form.is_valid()
        workflow.reopen_case(case, actor=user, reason=form.cleaned_data.get("reason", ""))
    except workflow.WorkflowError as exc:
        add_errors(form, exc)
        if _next(request).startswith(reverse("supervision:board")):
            return render_board(request, error=exc, bound=("reopen", case.pk, form))
        return _render(request, bound=(case.pk, form), error=exc)
    messages.success(
        request,
        _("Re-handling ordered: %(case)s goes back to %(unit)s, due %(date)s.")
        % {"case": case.receipt_number, "unit": case.lead_unit, "date": case.deadline.isoformat()},
    )
    return redirect(_next(request) or "supervision:desk")


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


urlpatterns = [
    path("", desk, name="desk"),
    path("cases/<int:pk>/rehandle/", rehandle, name="rehandle"),
]
