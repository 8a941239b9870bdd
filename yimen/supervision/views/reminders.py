"""Reminder slips (催办单): the list, issuing one for a case, signing, replying, the PDF.

A slip is fetched only through its case's scope (``queries.get_slip_or_404``): another
community's slip is a 404, and a draft is not shown outside the center until it is signed.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases import workflow
from yimen.cases.models import Case
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import services
from ..documents import reminder_slip_pdf
from ..forms import ReminderForm, ReplyForm
from ..models import ReminderStatus
from ..queries import get_slip_or_404, visible_slips
from .board import add_errors

PAGE_SIZE = 50
STATUS_BADGES = {ReminderStatus.DRAFT: "warn", ReminderStatus.REPLIED: "ok"}


@require(staff)
def reminder_list(request: HttpRequest) -> HttpResponse:
    """Every slip the user may see, newest first, by status; the tabs count what they list."""
    slips = visible_slips(request.user)
    counts = slips.order_by().aggregate(
        all=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in ReminderStatus.values},
    )
    status = request.GET.get("status", "")
    if status in ReminderStatus.values:
        slips = slips.filter(status=status)
    else:
        status = ""
    page = Paginator(slips, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for slip in page.object_list:
        slip.badge = STATUS_BADGES.get(slip.status, "")
        slip.reply_late = slip.status == ReminderStatus.APPROVED and slip.reply_by < today
    tabs = [("", _("All"), counts["all"])] + [
        (value, label, counts[value]) for value, label in ReminderStatus.choices
    ]
    context = {"page": page, "status": status, "tabs": tabs}
    return render(request, "supervision/reminders.html", context)


@require(staff)
def reminder_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The supervisor's form for one case; a case that cannot have one says why at once."""
    user = request.user
    case = get_for_user_or_404(Case, user, pk=pk)
    form = ReminderForm(request.POST or None)
    error = None
    try:
        services.check_issue_reminder(case, user)
        if request.method == "POST":
            form.is_valid()
            slip = services.issue_reminder(
                case,
                actor=user,
                text=form.cleaned_data.get("text", ""),
                reply_by=form.cleaned_data.get("reply_by"),
            )
            messages.success(
                request,
                _("Reminder slip %(number)s is waiting for a director's signature.")
                % {"number": slip.number},
            )
            return redirect("supervision:reminder", pk=slip.pk)
    except workflow.WorkflowError as exc:
        error = exc
        add_errors(form, exc)
    context = {"case": case, "form": form, "error": error}
    return render(
        request, "supervision/reminder_form.html", context, status=error.status if error else 200
    )


@require(staff)
def reminder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, get_slip_or_404(request.user, pk))


def _render(
    request: HttpRequest,
    slip: Any,
    *,
    error: workflow.WorkflowError | None = None,
    reply_form: ReplyForm | None = None,
) -> HttpResponse:
    user = request.user
    draft, approved = slip.status == ReminderStatus.DRAFT, slip.status == ReminderStatus.APPROVED
    context = {
        "slip": slip,
        "badge": STATUS_BADGES.get(slip.status, ""),
        "may_approve": draft and services.may_approve_reminder(user, slip),
        "reply_form": (reply_form or ReplyForm())
        if approved and services.may_reply_to_reminder(user, slip)
        else None,
        "reply_late": approved and slip.reply_by < timezone.localdate(),
        "error": error,
    }
    status = error.status if error else 200
    return render(request, "supervision/reminder_detail.html", context, status=status)


@require(staff)
@require_POST
def reminder_approve(request: HttpRequest, pk: int) -> HttpResponse:
    slip = get_slip_or_404(request.user, pk)
    try:
        services.approve_reminder(slip, actor=request.user)
    except workflow.WorkflowError as exc:
        return _render(request, slip, error=exc)
    messages.success(
        request,
        _("Signed: reminder slip %(number)s went to %(unit)s.")
        % {"number": slip.number, "unit": slip.unit.name},
    )
    return redirect("supervision:reminder", pk=slip.pk)


@require(staff)
@require_POST
def reminder_reply(request: HttpRequest, pk: int) -> HttpResponse:
    slip = get_slip_or_404(request.user, pk)
    form = ReplyForm(request.POST)
    form.is_valid()
    try:
        services.reply_to_reminder(
            slip, actor=request.user, reply=form.cleaned_data.get("reply", "")
        )
    except workflow.WorkflowError as exc:
        add_errors(form, exc)
        return _render(request, slip, error=exc, reply_form=form)
    messages.success(request, _("The reply was recorded."))
    return redirect("supervision:reminder", pk=slip.pk)


@require(staff)
def reminder_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    slip = get_slip_or_404(request.user, pk)
    response = HttpResponse(reminder_slip_pdf(slip), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slip.number}.pdf"'
    return response


urlpatterns = [
    path("reminders/", reminder_list, name="reminders"),
    path("reminders/<int:pk>/", reminder_detail, name="reminder"),
    path("reminders/<int:pk>/sign/", reminder_approve, name="reminder_approve"),
    path("reminders/<int:pk>/reply/", reminder_reply, name="reminder_reply"),
    path("reminders/<int:pk>.pdf", reminder_pdf, name="reminder_pdf"),
    path("cases/<int:pk>/remind/", reminder_new, name="reminder_new"),
]
