"""The case page: facts, deadline, parties (masked), attachments, timeline, and its actions.

Every case is fetched through ``get_for_user_or_404``: another community's case, or a
complaint about the viewer or their unit, is a 404. Each action posts to one URL that calls
one workflow function; a refusal redraws the page with the workflow's reason, the HTTP
status it names, and the form as it was typed. A hidden ``version`` field makes an action
taken on a page someone else has changed since lose with a clear message.
"""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yimen.audit.services import log_personal_data_view
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import workflow
from ..forms import ACTION_FORMS, ActionForm, AttachForm, EscalationMaterialForm
from ..hints import case_panel
from ..models import AttachmentKind, Case, ExtensionStatus, Status
from ..presentation import EVENT_LABELS, masked_party, with_time_left

DONE = {
    "route": gettext_lazy("Assigned: the slip was issued and the deadline set."),
    "accept": gettext_lazy("Accepted: the case is now yours to handle."),
    "return": gettext_lazy("Returned to the director."),
    "record_action": gettext_lazy("The action is on the timeline."),
    "request_extension": gettext_lazy("The extension request was sent."),
    "decide_extension": gettext_lazy("The decision on the extension was recorded."),
    "submit_result": gettext_lazy("The result was submitted."),
    "escalate": gettext_lazy("Escalated to the higher level."),
    "transfer_out": gettext_lazy("Transferred out; the resident is told where it went."),
    "close": gettext_lazy("Closed."),
    "follow_up": gettext_lazy("The follow-up was recorded."),
    "reopen": gettext_lazy("Reopened for re-handling."),
}

PERFORM = {
    "route": workflow.route_case,
    "accept": workflow.accept_case,
    "return": workflow.return_case,
    "record_action": workflow.record_action,
    "request_extension": workflow.request_extension,
    "submit_result": workflow.submit_result,
    "escalate": workflow.escalate_case,
    "transfer_out": workflow.transfer_out,
    "close": workflow.close_case,
    "follow_up": workflow.follow_up,
    "reopen": workflow.reopen_case,
}

STATUS_BADGE = {
    Status.RESOLVED: "ok",
    Status.CLOSED: "ok",
    Status.ARCHIVED: "ok",
    Status.RETURNED: "warn",
    Status.ESCALATED: "warn",
    Status.REOPENED: "warn",
    Status.EXTENDED: "warn",
}


def _case(request: HttpRequest, pk: int) -> Case:
    return get_for_user_or_404(Case, request.user, pk=pk)


@require(staff)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_case(request, _case(request, pk))


@require(staff)
@require_POST
def case_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One lifecycle action; ``name`` is a key of ``workflow.TRANSITIONS``."""
    if name not in ACTION_FORMS:
        raise Http404
    user = request.user
    case = _case(request, pk)
    form = _action_form(name, case, user, data=request.POST)
    valid = form.is_valid()
    try:
        workflow.check_action(name, case, user)
        if not valid:
            raise workflow.Invalid(_("Nothing was changed. Please correct the marked fields."))
        version = request.POST.get("version", "")
        if version.isdigit():
            case.version = int(version)  # the version the page showed: a stale page loses
        if name == "decide_extension":
            extension = get_object_or_404(case.extensions, pk=form.cleaned_data["request"])
            workflow.decide_extension(extension, actor=user, **form.arguments())
        else:
            PERFORM[name](case, actor=user, **form.arguments())
    except workflow.WorkflowError as exc:
        for field, message in exc.fields.items():
            if field in form.fields:  # the others are in the message at the top
                form.add_error(field, message)
        return render_case(request, _case(request, pk), bound=(name, form), error=exc)
    messages.success(request, DONE[name])
    return _back(request, case)


@require(staff)
@require_POST
def add_attachments(request: HttpRequest, pk: int) -> HttpResponse:
    """Material for the case; ``material=escalation`` is the three-document form."""
    user = request.user
    case = _case(request, pk)
    escalation = request.POST.get("material") == "escalation"
    form_class = EscalationMaterialForm if escalation else AttachForm
    form = form_class(request.POST, request.FILES, auto_id=_auto_id(form_class))
    try:
        if not workflow.may_attach(user, case):
            raise workflow.NotAllowed(_("You may not add material to this case."))
        if not form.is_valid():
            raise workflow.Invalid(_("No file was added. Please correct the marked fields."))
        workflow.add_attachments(case, form.items(), actor=user)
    except workflow.WorkflowError as exc:
        return render_case(
            request, _case(request, pk), bound=(form_class.__name__, form), error=exc
        )
    messages.success(request, _("The material was added."))
    return _back(request, case, anchor="attachments")


@require(staff)
@require_POST
def reveal_party(request: HttpRequest, pk: int, party_pk: int) -> HttpResponse:
    """The full phone and ID number of one party, for this response only, and logged."""
    case = _case(request, pk)
    party = get_object_or_404(case.parties, pk=party_pk)
    log_personal_data_view(request.user, party, ["phone", "id_number"])
    if request.headers.get("HX-Request"):
        row = _party_rows(case, [party], revealed={party.pk})[0]
        return render(request, "cases/_party_row.html", {"case": case, "row": row})
    return render_case(request, case, revealed={party.pk})


@require(staff)
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """A file of a case the user may see, as a download under its original name."""
    case = _case(request, pk)
    item = get_object_or_404(case.attachments, pk=attachment_pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- the page ----------------------------------------------------------------------------


def _auto_id(form_class: type) -> str:
    """Distinct element ids for the many forms of one page; field names stay plain."""
    return f"id_{form_class.__name__.lower()}_%s"


def _action_form(name: str, case: Case, user: Any, data: Any = None) -> ActionForm:
    form_class = ACTION_FORMS[name]
    initial = {}
    if name == "decide_extension":
        pending = case.extensions.filter(status=ExtensionStatus.PENDING).first()
        initial["request"] = pending.pk if pending else None
    return form_class(data, case=case, user=user, initial=initial, auto_id=_auto_id(form_class))


def _back(request: HttpRequest, case: Case, anchor: str = "") -> HttpResponse:
    """To ``next`` when a list page posted the action (e.g. the routing queue), else the case."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    response = redirect("cases:detail", pk=case.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _party_rows(case: Case, parties: Any, revealed: set[int]) -> list[dict[str, Any]]:
    rows = []
    for party in parties:
        row = {"pk": party.pk, **masked_party(party), "revealed": party.pk in revealed}
        if row["revealed"]:
            row.update(phone=party.phone, id_number=party.id_number)
        row["has_numbers"] = bool(party.phone or party.id_number)
        rows.append(row)
    return rows


def render_case(
    request: HttpRequest,
    case: Case,
    *,
    bound: tuple[str, Any] | None = None,
    error: workflow.WorkflowError | None = None,
    revealed: set[int] | None = None,
    typed: dict[str, str] | None = None,
) -> HttpResponse:
    user = request.user
    with_time_left([case])
    allowed = workflow.allowed_actions(user, case)
    bound_name, bound_form = bound or ("", None)

    action_forms = [
        {
            "name": name,
            "form": bound_form if name == bound_name else _action_form(name, case, user),
            "open": name == bound_name,
        }
        for name in allowed
    ]
    pending = case.extensions.filter(status=ExtensionStatus.PENDING).first()
    if pending is None:  # the supervising level may decide, but there is nothing to decide
        action_forms = [a for a in action_forms if a["name"] != "decide_extension"]

    present = set(case.attachments.values_list("kind", flat=True))
    missing = [AttachmentKind(k) for k in workflow.ESCALATION_ATTACHMENTS if k not in present]
    may_attach = workflow.may_attach(user, case)

    def upload_form(form_class: type, **initial: Any) -> Any:
        if bound_name == form_class.__name__:
            return bound_form
        return form_class(initial=initial, auto_id=_auto_id(form_class))

    events = list(case.events.select_related("actor"))
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)
        kind = event.data.get("kind") if isinstance(event.data, dict) else None
        if event.action == "action" and kind in workflow.ACTION_KINDS:
            event.label = workflow.ACTION_KINDS[kind]

    time_left = case.time_left
    context = {
        "case": case,
        "status_badge": STATUS_BADGE.get(case.status, ""),
        "time_left": time_left,
        "days_overdue": -time_left.working_days if time_left.overdue else 0,
        "parties": _party_rows(case, case.parties.all(), revealed or set()),
        "attachments": case.attachments.select_related("uploaded_by"),
        "events": events,
        "slips": case.slips.select_related("lead_unit", "issued_by", "suggested_unit"),
        "extensions": case.extensions.select_related("requested_by", "decided_by"),
        "follow_ups": case.follow_ups.select_related("by"),
        "co_units": case.co_units.all(),
        "action_forms": action_forms,
        "pending_extension": pending,
        "escalation_missing": missing if "escalate" in allowed else [],
        "escalation_form": upload_form(EscalationMaterialForm) if "escalate" in allowed else None,
        "attach_form": upload_form(AttachForm) if may_attach else None,
        "panel": case_panel(case, user),
        "typed": typed or {},
        "error": error,
    }
    status = error.status if error is not None else 200
    return render(request, "cases/detail.html", context, status=status)


urlpatterns = [
    path("<int:pk>/", case_detail, name="detail"),
    path("<int:pk>/do/<slug:name>/", case_action, name="action"),
    path("<int:pk>/attachments/add/", add_attachments, name="add_attachments"),
    path("<int:pk>/attachments/<int:attachment_pk>/", attachment, name="attachment"),
    path("<int:pk>/parties/<int:party_pk>/reveal/", reveal_party, name="reveal_party"),
]
