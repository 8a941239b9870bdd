"""Joining a report to the case that handles the same matter, undoing it, and linking.

Each view calls one function of ``yimen.cases.merging``; a refusal redraws the case page
with the reason and what was typed.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import merging, workflow
from ..hints import similar_to_case
from ..models import Case, CaseMerge
from .detail import render_case


def _target(request: HttpRequest, value: str) -> Case:
    """A case the user may see, by receipt number or id."""
    value = value.strip()
    cases = Case.objects.for_user(request.user)
    found = cases.filter(receipt_number__iexact=value).first() if value else None
    if found is None and value.isdigit():
        found = cases.filter(pk=int(value)).first()
    if found is None:
        raise workflow.Invalid(
            _("No case %(number)s that you can see.") % {"number": value},
            fields={"other": _("Unknown receipt number.")},
        )
    return found


def _to_reports(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    """Say what was done, and show the case's "reports of this matter"."""
    messages.success(request, message)
    response = redirect("cases:detail", pk=case.pk)
    response["Location"] += "#reports"
    return response


@require(staff)
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Join this case to another: the other keeps handling, this one's reporters move there."""
    case = get_for_user_or_404(Case, request.user, pk=pk)
    typed = request.POST.get("other", "")
    try:
        into = _target(request, typed)
        reasons = request.POST.getlist("reason")
        merging.merge_case(case, into=into, actor=request.user, reasons=reasons)
    except workflow.WorkflowError as exc:
        return render_case(request, case, error=exc, typed={"merge": typed})
    message = _("Joined to %(number)s as another report.") % {"number": into.receipt_number}
    return _to_reports(request, into, message)


@require(staff)
@require_POST
def undo_merge(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Case.objects.for_user(request.user)
    merge = (
        CaseMerge.objects.filter(Q(into__in=visible) | Q(duplicate__in=visible), pk=pk)
        .select_related("duplicate", "into")
        .first()
    )
    if merge is None:
        raise Http404
    try:
        merging.undo_merge(merge, actor=request.user)
    except workflow.WorkflowError as exc:
        return render_case(request, merge.into, error=exc)
    message = _("The merge was undone: %(number)s is a case of its own again.") % {
        "number": merge.duplicate.receipt_number
    }
    return _to_reports(request, merge.duplicate, message)


@require(staff)
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_for_user_or_404(Case, request.user, pk=pk)
    typed = request.POST.get("other", "")
    try:
        other = _target(request, typed)
        merging.link_related(
            case, other, actor=request.user, reasons=request.POST.getlist("reason")
        )
    except workflow.WorkflowError as exc:
        return render_case(request, case, error=exc, typed={"link": typed})
    message = _("Marked as related to %(number)s.") % {"number": other.receipt_number}
    return _to_reports(request, case, message)


@require(staff)
def similar(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page's "possibly the same matter", fetched once the page is shown."""
    case = get_for_user_or_404(Case, request.user, pk=pk)
    context = {
        "case": case,
        "similar": similar_to_case(case, request.user),
        "may_merge": merging.may_merge(request.user, case),
    }
    return render(request, "cases/_similar_cases.html", context)


urlpatterns = [
    path("<int:pk>/similar/", similar, name="similar"),
    path("<int:pk>/merge/", merge, name="merge"),
    path("<int:pk>/link/", link, name="link"),
    path("merges/<int:pk>/undo/", undo_merge, name="undo_merge"),
]
