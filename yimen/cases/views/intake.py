"""Intake (登记) at the front desk, and the receipt slip the resident takes home.

The tracking code exists in clear only in the registration's answer: it is kept in the
session until the receipt page shows it once, and only its keyed hash is stored.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import merging, workflow
from ..forms import (
    FIRST_PARTY_ROWS,
    IntakeForm,
    PartyFormSet,
    parties_from,
    unbound_copy,
    with_one_more_row,
)
from ..hints import Hints, hints_for
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
    hints = hints_for(request.POST, user, party_prefix=PARTIES_PREFIX)
    if "more_parties" in request.POST or "check" in request.POST:
        more = "more_parties" in request.POST
        return _render(
            request,
            unbound_copy(form, user=user),
            with_one_more_row(parties) if more else parties,
            files_to_choose_again=chosen_files,
            hints=hints,
        )

    party_errors: list[str] = []
    status = 400
    form_valid, parties_valid = form.is_valid(), parties.is_valid()  # errors of both at once
    if form_valid and parties_valid:
        try:
            registered = _register(request, form, parties, hints)
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
        hints=hints,
        status=status,
    )


def _register(
    request: HttpRequest, form: IntakeForm, parties: Any, hints: Hints
) -> workflow.Registered:
    """Register the matter and, in the same transaction, join or link it as the desk chose."""
    user = request.user
    similar = {str(s.case.pk): s for s in hints.similar}
    with transaction.atomic():
        registered = workflow.register_case(
            actor=user,
            parties=parties_from(parties),
            attachments=[workflow.NewAttachment(f) for f in form.cleaned_data["attachments"]],
            **{name: form.cleaned_data[name] for name in _CASE_FIELDS},
        )
        if hints.attach_to:
            into = _chosen(user, hints.attach_to)
            reasons = (
                similar[hints.attach_to].likeness.reasons if hints.attach_to in similar else []
            )
            merging.merge_case(registered.case, into=into, actor=user, reasons=reasons)
        for pk in hints.relate_to:
            if pk != hints.attach_to:
                other = _chosen(user, pk)
                reasons = similar[pk].likeness.reasons if pk in similar else []
                merging.link_related(registered.case, other, actor=user, reasons=reasons)
    return registered


def _chosen(user: Any, pk: str) -> Case:
    """A case the desk chose to join or link: only one they may see."""
    case = Case.objects.for_user(user).filter(pk=pk).first() if pk.isdigit() else None
    if case is None:
        raise workflow.Invalid(_("The case chosen to join or link is not one you can see."))
    return case


@require_POST
@require(staff)
def intake_hints(request: HttpRequest) -> HttpResponse:
    """The hints panel alone, refreshed by htmx while the desk types."""
    _may_register(request.user)
    hints = hints_for(request.POST, request.user, party_prefix=PARTIES_PREFIX)
    context = {"hints": hints, "may_join": request.user.role in merging.MERGER_ROLES}
    return render(request, "cases/_intake_hints.html", context)


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
    hints: Hints | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "parties": parties,
        "party_errors": [*(party_errors or []), *parties.non_form_errors()],
        "files_to_choose_again": files_to_choose_again or [],
        "hints": hints,
        "may_join": request.user.role in merging.MERGER_ROLES,
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
    path("new/hints/", intake_hints, name="intake_hints"),
    path("<int:pk>/receipt/", receipt, name="receipt"),
]
