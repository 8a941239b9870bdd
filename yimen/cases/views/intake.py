"""Intake (登记) at the front desk, and the receipt slip the resident takes home.

The tracking code exists in clear only in the registration's answer: it is kept in the
session until the receipt page shows it once, and only its keyed hash is stored.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import workflow
from ..forms import (
    FIRST_PARTY_ROWS,
    IntakeForm,
    PartyFormSet,
    parties_from,
    unbound_copy,
    with_one_more_row,
)
from ..models import Case

RECEIPT_CODES = "cases.receipt_codes"
PARTIES_PREFIX = "parties"
# IntakeForm fields that are register_case's keyword arguments as they are.
_CASE_FIELDS = (
    "title",
    "description",
    "category",
    "channel",
    "jurisdiction",
    "address",
    "latitude",
    "longitude",
    "is_urgent",
    "about_staff",
    "about_unit",
    "settle_on_the_spot",
    "result",
)


def _may_register(user: Any) -> None:
    if user.role not in workflow.REGISTRAR_ROLES:
        raise PermissionDenied(_("Your role may not register matters."))


@require(staff)
def new_case(request: HttpRequest) -> HttpResponse:
    """The front desk form: one page, fast on a keyboard, nothing lost on an error."""
    user = request.user
    _may_register(user)
    if request.method != "POST":
        form = IntakeForm(user=user)
        parties = PartyFormSet(prefix=PARTIES_PREFIX, initial=FIRST_PARTY_ROWS)
        return _render(request, form, parties)

    form = IntakeForm(request.POST, request.FILES, user=user)
    parties = PartyFormSet(request.POST, prefix=PARTIES_PREFIX)
    chosen_files = [f.name for f in request.FILES.getlist("attachments")]
    if "more_parties" in request.POST:
        return _render(
            request,
            unbound_copy(form, user=user),
            with_one_more_row(parties),
            files_to_choose_again=chosen_files,
        )

    party_errors: list[str] = []
    status = 400
    form_valid, parties_valid = form.is_valid(), parties.is_valid()  # errors of both at once
    if form_valid and parties_valid:
        try:
            registered = workflow.register_case(
                actor=user,
                parties=parties_from(parties),
                attachments=[workflow.NewAttachment(f) for f in form.cleaned_data["attachments"]],
                **{name: form.cleaned_data[name] for name in _CASE_FIELDS},
            )
        except workflow.WorkflowError as exc:
            status = exc.status
            for field, message in exc.fields.items():
                if field == "parties":
                    party_errors.append(message)
                else:
                    form.add_error(field if field in form.fields else None, message)
            if exc.message not in exc.fields.values():
                form.add_error(None, exc.message)
        else:
            return _registered(request, registered)
    return _render(
        request,
        form,
        parties,
        party_errors=party_errors,
        files_to_choose_again=chosen_files,
        status=status,
    )


def _registered(request: HttpRequest, registered: workflow.Registered) -> HttpResponse:
    case = registered.case
    messages.success(request, _("Registered as %(number)s.") % {"number": case.receipt_number})
    if not Case.objects.for_user(request.user).filter(pk=case.pk).exists():
        # A complaint about the registrar or their own unit: recusal hides it from them
        # from now on, so the slip is handed over here, once, and never again.
        return _receipt(request, case, registered.tracking_code, recused=True)
    codes = request.session.get(RECEIPT_CODES, {})
    codes[str(case.pk)] = registered.tracking_code
    request.session[RECEIPT_CODES] = codes
    return redirect("cases:receipt", pk=case.pk)


def _render(
    request: HttpRequest,
    form: IntakeForm,
    parties: Any,
    *,
    party_errors: list[str] | None = None,
    files_to_choose_again: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "parties": parties,
        "party_errors": [*(party_errors or []), *parties.non_form_errors()],
        "files_to_choose_again": files_to_choose_again or [],
    }
    return render(request, "cases/intake.html", context, status=status)


@never_cache
@require(staff)
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt slip; the tracking code is on it only the first time it is shown."""
    case = get_for_user_or_404(Case, request.user, pk=pk)
    codes = request.session.get(RECEIPT_CODES, {})
    code = codes.pop(str(case.pk), None)
    if code is not None:
        request.session[RECEIPT_CODES] = codes
    return _receipt(request, case, code)


def _receipt(
    request: HttpRequest, case: Case, code: str | None, *, recused: bool = False
) -> HttpResponse:
    context = {
        "case": case,
        "tracking_code": code,
        "track_url": request.build_absolute_uri("/track/"),
        "recused": recused,
    }
    response = render(request, "cases/receipt.html", context)
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("new/", new_case, name="new"),
    path("<int:pk>/receipt/", receipt, name="receipt"),
]
