"""A case's mediation page: consent, notice, mediators, sessions, agreement, outcome, visits.

The case is fetched through ``get_for_user_or_404`` (its own scoping: another community's
mediation is a 404). The page exists while a committee holds the case or a mediation
exists. Each step posts to one URL that calls one service function; a refusal redraws the
page with the service's reason, the HTTP status it names and the form as it was typed.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yimen.cases import workflow
from yimen.cases.models import Case
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import services
from ..documents import agreement_pdf, judicial_confirmation_pdf, referral_note_pdf
from ..forms import STEP_FORMS, StepForm
from ..models import AgreementStatus, Consent, JudicialConfirmation, Mediation

DONE = {
    "open": gettext_lazy("The mediation is open."),
    "consent": gettext_lazy("The party's decision is recorded."),
    "notice": gettext_lazy("Recorded: the parties were told of their right to go to court."),
    "mediators": gettext_lazy("The mediators are assigned."),
    "recuse": gettext_lazy("The recusal is recorded."),
    "schedule": gettext_lazy("The session is scheduled."),
    "record_session": gettext_lazy("The session is recorded."),
    "agreement": gettext_lazy("The draft agreement is saved."),
    "sign": gettext_lazy("The agreement is signed and stored; a follow-up visit is due."),
    "judicial": gettext_lazy("The judicial confirmation application is prepared."),
    "conclude": gettext_lazy(
        "The outcome and the parties' path are recorded; the case is referred."
    ),
    "visit": gettext_lazy("The follow-up visit is recorded."),
    "transfer": gettext_lazy("The matter is transferred; the resident is told where."),
    "urgent": gettext_lazy("Marked urgent: the director and leaders are notified."),
}

# Each step: (case, mediation, actor, **form arguments) → one service call.
PERFORM: dict[str, Callable[..., Any]] = {
    "consent": lambda c, m, actor, **kw: services.record_consent(m, actor=actor, **kw),
    "notice": lambda c, m, actor, **kw: services.record_rights_notice(m, actor=actor, **kw),
    "mediators": lambda c, m, actor, **kw: services.assign_mediators(m, actor=actor, **kw),
    "recuse": lambda c, m, actor, **kw: services.recuse_member(m, actor=actor, **kw),
    "schedule": lambda c, m, actor, **kw: services.schedule_session(m, actor=actor, **kw),
    "record_session": lambda c, m, actor, **kw: services.record_session(m, actor=actor, **kw),
    "agreement": lambda c, m, actor, **kw: services.save_agreement_draft(m, actor=actor, **kw),
    "sign": lambda c, m, actor, agreement, **kw: services.sign_agreement(
        agreement, actor=actor, **kw
    ),
    "judicial": lambda c, m, actor, agreement, **kw: services.prepare_judicial_confirmation(
        agreement, actor=actor, **kw
    ),
    "conclude": lambda c, m, actor, **kw: services.conclude_mediation(m, actor=actor, **kw),
    "visit": lambda c, m, actor, visit, **kw: services.record_follow_up_visit(
        visit, actor=actor, **kw
    ),
    "transfer": lambda c, m, actor, **kw: services.transfer_outside_mediation(c, actor=actor, **kw),
    "urgent": lambda c, m, actor, **kw: services.report_risk_of_violence(c, actor=actor, **kw),
}
# Steps that need no mediation: the committee may transfer or report a case before opening one.
WITHOUT_MEDIATION = {"transfer", "urgent"}


def _case(request: HttpRequest, pk: int) -> Case:
    return get_for_user_or_404(Case, request.user, pk=pk)


def _mediation_or_404(case: Case) -> Mediation:
    mediation = services.mediation_of(case)
    if mediation is None:
        raise Http404
    return mediation


@require(staff)
def mediation_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    mediation = services.mediation_of(case)
    if mediation is None and not services.with_committee(case):
        raise Http404
    return _render(request, case, mediation)


@require(staff)
@require_POST
def open_mediation(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        services.open_mediation(case, actor=request.user)
    except workflow.WorkflowError as exc:
        if not services.with_committee(case):
            raise Http404 from exc
        return _render(request, _case(request, pk), services.mediation_of(case), error=exc)
    messages.success(request, DONE["open"])
    return redirect("mediation:case", pk=case.pk)


@require(staff)
@require_POST
def mediation_step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One step; ``name`` is a key of ``forms.STEP_FORMS``."""
    if name not in STEP_FORMS:
        raise Http404
    user = request.user
    case = _case(request, pk)
    mediation = services.mediation_of(case)
    if mediation is None and (name not in WITHOUT_MEDIATION or not services.with_committee(case)):
        raise Http404
    form = STEP_FORMS[name](request.POST, request.FILES, case=case, mediation=mediation)
    try:
        if not form.is_valid():
            raise workflow.Invalid(_("Nothing was changed. Please correct the marked fields."))
        PERFORM[name](case, mediation, user, **form.arguments())
    except workflow.WorkflowError as exc:
        for field, message in exc.fields.items():
            if field in form.fields:
                form.add_error(field, message)
        case = _case(request, pk)
        return _render(request, case, services.mediation_of(case), bound=(name, form), error=exc)
    messages.success(request, DONE[name])
    return _back(request, case)


def _back(request: HttpRequest, case: Case) -> HttpResponse:
    """To ``next`` when the case page posted the step, else the mediation page."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    if services.mediation_of(case) is None:
        return redirect("cases:detail", pk=case.pk)
    return redirect("mediation:case", pk=case.pk)


# --- documents -------------------------------------------------------------------------------


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require(staff)
def agreement_document(request: HttpRequest, pk: int, agreement_pk: int) -> HttpResponse:
    """A signed agreement is its stored file; a draft is drawn as it stands, marked DRAFT."""
    mediation = _mediation_or_404(_case(request, pk))
    agreement = mediation.agreements.filter(pk=agreement_pk).first()
    if agreement is None:
        raise Http404
    if agreement.status == AgreementStatus.DRAFT:
        return _pdf(agreement_pdf(agreement), f"draft-{mediation.number}.pdf")
    try:
        handle = agreement.pdf.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type="application/pdf", filename=f"{agreement.number}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require(staff)
def judicial_document(request: HttpRequest, pk: int, agreement_pk: int) -> HttpResponse:
    mediation = _mediation_or_404(_case(request, pk))
    item = (
        JudicialConfirmation.objects.filter(
            agreement__mediation=mediation, agreement_id=agreement_pk
        )
        .select_related("agreement__mediation__committee")
        .first()
    )
    if item is None:
        raise Http404
    return _pdf(judicial_confirmation_pdf(item), f"judicial-{item.agreement.number}.pdf")


@require(staff)
def referral_document(request: HttpRequest, pk: int) -> HttpResponse:
    mediation = _mediation_or_404(_case(request, pk))
    if not mediation.next_path:
        raise Http404
    return _pdf(referral_note_pdf(mediation), f"referral-{mediation.number}.pdf")


# --- the page ---------------------------------------------------------------------------------


def _render(
    request: HttpRequest,
    case: Case,
    mediation: Mediation | None,
    *,
    bound: tuple[str, StepForm] | None = None,
    error: workflow.WorkflowError | None = None,
) -> HttpResponse:
    user = request.user
    bound_name, bound_form = bound or ("", None)

    def form(name: str, **initial: Any) -> StepForm:
        if name == bound_name:
            return bound_form
        return STEP_FORMS[name](case=case, mediation=mediation, initial=initial)

    context: dict[str, Any] = {
        "case": case,
        "mediation": mediation,
        "error": error,
        "bound_name": bound_name,
        "can_open": services.can_open_mediation(user, case),
        "right_to_sue": services.RIGHT_TO_SUE,
    }
    committee_staff = services.with_committee(case) and services.is_committee_staff(
        user, case.lead_unit_id
    )
    still_with_committee = committee_staff and case.status in workflow.OPEN
    if mediation is None:
        context["forms"] = (
            {"transfer": form("transfer"), "urgent": form("urgent")} if still_with_committee else {}
        )
        return render(
            request, "mediation/case.html", context, status=error.status if error else 200
        )

    may = services.may_mediate(user, mediation)
    working = (
        may
        and mediation.is_open
        and case.status in workflow.HANDLING
        and case.lead_unit_id == mediation.committee_id
    )
    latest = services.consent_state(mediation)
    parties = [{"party": p, "consent": latest.get(p.pk)} for p in case.parties.all()]
    sessions = list(
        mediation.sessions.prefetch_related("mediators", "attachments").select_related(
            "recorded_by"
        )
    )
    agreements = list(
        mediation.agreements.select_related("signed_by", "drafted_by").prefetch_related(
            "follow_up_visits"
        )
    )
    for agreement in agreements:
        agreement.confirmation = JudicialConfirmation.objects.filter(agreement=agreement).first()
    draft = next((a for a in agreements if a.status == AgreementStatus.DRAFT), None)
    visits = list(mediation.follow_up_visits.select_related("agreement", "visited_by"))
    forms: dict[str, Any] = {}
    if working:
        forms["consent"] = form("consent")
        if mediation.rights_notice_given_at is None:
            forms["notice"] = form("notice")
        forms["mediators"] = form("mediators")
        forms["recuse"] = form("recuse")
        forms["schedule"] = form("schedule")
        forms["record_session"] = form("record_session")
        forms["planned"] = [
            {
                "session": s,
                "form": bound_form
                if bound_name == "record_session" and bound_form.data.get("session") == str(s.pk)
                else STEP_FORMS["record_session"](
                    case=case,
                    mediation=mediation,
                    initial={
                        "session": s.pk,
                        "starts_at": s.starts_at,
                        "place": s.place,
                        "mediators": [m.pk for m in s.mediators.all()],
                    },
                    auto_id=f"id_session{s.pk}_%s",
                ),
            }
            for s in sessions
            if not s.is_held
        ]
        if draft is not None:
            forms["agreement"] = form("agreement", agreement=draft.pk, **_draft_initial(draft))
            forms["sign"] = form("sign", agreement=draft.pk)
        else:
            forms["agreement"] = form("agreement", dispute_summary=case.description)
        forms["conclude"] = form("conclude")
    if may:
        forms["judicial"] = {
            a.pk: form("judicial", agreement=a.pk)
            for a in agreements
            if a.is_signed and a.confirmation is None
        }
        forms["visits"] = {v.pk: form("visit", visit=v.pk) for v in visits if v.done_at is None}
    if still_with_committee:
        forms["transfer"] = form("transfer")
        forms["urgent"] = form("urgent")

    context.update(
        {
            "may": may,
            "working": working,
            "parties": parties,
            "stop_reason": services.stop_reason(mediation),
            "blockers": services.session_blockers(mediation) if mediation.is_open else [],
            "recusals": mediation.recusals.select_related("member", "recorded_by"),
            "mediators": mediation.mediators.all(),
            "consents": mediation.consents.select_related("party", "recorded_by"),
            "sessions": sessions,
            "agreements": agreements,
            "draft": draft,
            "visits": visits,
            "forms": forms,
            "Consent": Consent,
        }
    )
    return render(request, "mediation/case.html", context, status=error.status if error else 200)


def _draft_initial(draft: Any) -> dict[str, Any]:
    fields = ("dispute_summary", "terms", "performance_method", "performance_deadline", "amount",
              "is_partial", "unresolved")  # fmt: skip
    return {f: getattr(draft, f) for f in fields}


urlpatterns = [
    path("case/<int:pk>/", mediation_page, name="case"),
    path("case/<int:pk>/open/", open_mediation, name="open"),
    path("case/<int:pk>/do/<slug:name>/", mediation_step, name="step"),
    path(
        "case/<int:pk>/agreements/<int:agreement_pk>.pdf", agreement_document, name="agreement_pdf"
    ),
    path(
        "case/<int:pk>/agreements/<int:agreement_pk>/judicial.pdf",
        judicial_document,
        name="judicial_pdf",
    ),
    path("case/<int:pk>/referral.pdf", referral_document, name="referral_pdf"),
]
