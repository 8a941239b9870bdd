"""The named-supervision board (挂牌督办): each listed matter with its progress reports.

A supervisor or director lists a complex case from its page, asks for progress reports by a
date and closes the listing; the responsible unit submits its reports here. A report asked
for and not in by its date is flagged by the sweep and shown as missing. Every item is
fetched through its case's scope: another community's item is a 404.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases import workflow
from yimen.cases.forms import ReopenForm
from yimen.cases.models import Case, Status
from yimen.cases.presentation import with_time_left
from yimen.org.models import Role
from yimen.org.permissions import has_role, require, staff
from yimen.org.scoping import get_for_user_or_404
from yimen.workdays.calendar import working_days_between
from yimen.workdays.services import load_calendar

from .. import services
from ..forms import CloseSupervisionForm, ListForm, ProgressReportForm, RequestReportForm
from ..models import ProgressReport, ProgressRequest
from ..queries import get_supervision_or_404, visible_supervisions

PAGE_SIZE = 50


@require(staff)
def board(request: HttpRequest) -> HttpResponse:
    return render_board(request)


def render_board(
    request: HttpRequest,
    *,
    error: workflow.WorkflowError | None = None,
    bound: tuple[str, int, Any] | None = None,
) -> HttpResponse:
    """The board; after a refused action, with the error and the form as it was typed."""
    user, today = request.user, timezone.localdate()
    closed = request.GET.get("closed") == "1"
    items = (
        visible_supervisions(user)
        .filter(closed_at__isnull=not closed)
        .prefetch_related(
            Prefetch("reports", queryset=ProgressReport.objects.select_related("by")),
            Prefetch("requests", queryset=ProgressRequest.objects.select_related("requested_by")),
        )
        .order_by("-closed_at" if closed else "deadline", "pk")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    supervisions = list(page.object_list)
    with_time_left([s.case for s in supervisions], today)
    dates = [s.deadline for s in supervisions]
    calendar = load_calendar(min([today, *dates]), max([today, *dates]))
    supervises = has_role(user, Role.DIRECTOR, Role.SUPERVISOR)
    bound_name, bound_pk, bound_form = bound or ("", None, None)

    def form(name: str, pk: int, unbound: Any) -> Any:
        return bound_form if (name, pk) == (bound_name, bound_pk) else unbound

    for item in supervisions:
        item.days_left = working_days_between(today, item.deadline, calendar)
        item.overdue = item.is_open and today > item.deadline
        item.pending = next((r for r in item.requests.all() if r.is_pending), None)
        if not item.is_open:
            continue
        prefix = f"id_s{item.pk}_%s"
        if supervises:
            if item.case.status in services.REPORTING and item.pending is None:
                item.request_form = form("request", item.pk, RequestReportForm(auto_id=prefix))
            item.close_form = form("close", item.pk, CloseSupervisionForm(auto_id=prefix))
        if services.may_report_progress(user, item):
            item.report_form = form("report", item.pk, ProgressReportForm(auto_id=prefix))
        case = item.case
        if case.status == Status.RESOLVED and "reopen" in workflow.allowed_actions(user, case):
            unbound = ReopenForm(case=case, user=user, auto_id=f"id_reopen_{case.pk}_%s")
            item.reopen_form = form("reopen", case.pk, unbound)
    page.object_list = supervisions
    context = {"page": page, "closed": closed, "error": error, "supervises": supervises}
    return render(request, "supervision/board.html", context, status=error.status if error else 200)


def _act(request: HttpRequest, pk: int, name: str, form_class: type, perform: Any) -> HttpResponse:
    """Run one board action; a refusal redraws the board with the reason, as typed."""
    user = request.user
    item = get_supervision_or_404(user, pk)
    form = form_class(request.POST, auto_id=f"id_s{item.pk}_%s")
    form.is_valid()
    try:
        done = perform(item, user, form.cleaned_data)
    except workflow.WorkflowError as exc:
        add_errors(form, exc)
        return render_board(request, error=exc, bound=(name, item.pk, form))
    messages.success(request, done)
    return redirect(reverse("supervision:board") + f"#supervision-{item.pk}")


def add_errors(form: Any, exc: workflow.WorkflowError) -> None:
    """The workflow's reasons on the fields they concern, unless the form said so already."""
    for field, message in exc.fields.items():
        if field in form.fields and field not in form.errors:
            form.add_error(field, message)


@require(staff)
@require_POST
def request_report(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(item: Any, user: Any, data: dict[str, Any]) -> str:
        due = data.get("due_date")
        services.request_progress_report(item, actor=user, due_date=due, note=data.get("note", ""))
        return _("A progress report is requested by %(date)s.") % {"date": due.isoformat()}

    return _act(request, pk, "request", RequestReportForm, perform)


@require(staff)
@require_POST
def submit_report(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(item: Any, user: Any, data: dict[str, Any]) -> str:
        services.submit_progress_report(item, actor=user, text=data.get("text", ""))
        return _("The progress report was submitted.")

    return _act(request, pk, "report", ProgressReportForm, perform)


@require(staff)
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(item: Any, user: Any, data: dict[str, Any]) -> str:
        services.close_supervision(item, actor=user, note=data.get("note", ""))
        return _("The named supervision was closed.")

    return _act(request, pk, "close", CloseSupervisionForm, perform)


@require(staff)
def list_case(request: HttpRequest, pk: int) -> HttpResponse:
    """挂牌督办 form for one case: responsible unit, leader, deadline and why."""
    user = request.user
    case = get_for_user_or_404(Case, user, pk=pk)
    form = ListForm(request.POST or None, case=case, user=user)
    error = None
    try:
        services.check_list_for_supervision(case, user)
        if request.method == "POST":
            form.is_valid()
            data = form.cleaned_data
            supervision = services.list_for_supervision(
                case,
                actor=user,
                unit=data.get("unit"),
                leader=data.get("leader"),
                deadline=data.get("deadline"),
                reason=data.get("reason", ""),
            )
            messages.success(
                request, _("%(case)s is on the board.") % {"case": case.receipt_number}
            )
            return redirect(reverse("supervision:board") + f"#supervision-{supervision.pk}")
    except workflow.WorkflowError as exc:
        error = exc
        add_errors(form, exc)
    context = {"case": case, "form": form, "error": error}
    status = error.status if error else 200
    return render(request, "supervision/list_form.html", context, status=status)


urlpatterns = [
    path("board/", board, name="board"),
    path("board/<int:pk>/request/", request_report, name="request_report"),
    path("board/<int:pk>/report/", submit_report, name="submit_report"),
    path("board/<int:pk>/close/", close, name="close"),
    path("cases/<int:pk>/list/", list_case, name="list_case"),
]
