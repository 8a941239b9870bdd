"""The incident pages: the list, the one-screen first report, the incident page and its
actions, the plans and the duty roster. Rules live in ``services`` and ``rules``."""

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.audit.services import record
from yimen.cases.workflow import WorkflowError
from yimen.org.models import DutyShift, Shift
from yimen.org.permissions import require, staff
from yimen.org.roster import gaps
from yimen.org.scoping import get_for_user_or_404

from . import forms, rules, services
from .documents import district_report_pdf
from .models import ContingencyPlan, Incident, Stage, TeamMember


def _clock(incident: Incident) -> rules.Clock:
    return rules.clock(incident.report_due_at, incident.reported_at, timezone.now())


@require(staff)
def index(request: HttpRequest) -> HttpResponse:
    incidents = Incident.objects.for_user(request.user).select_related("jurisdiction")
    show = request.GET.get("show", "open")
    if show == "open":
        incidents = incidents.exclude(stage=Stage.CLOSED)
    if request.GET.get("drills") != "1":
        incidents = services.counted(incidents)
    rows = [(incident, _clock(incident)) for incident in incidents[:200]]
    return render(request, "emergency/index.html", {"rows": rows, "show": show})


@require(staff)
def report(request: HttpRequest) -> HttpResponse:
    """接警: one screen — where, what is happening — and the alarm goes out."""
    form = forms.FirstReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        key = data.pop("client_key")
        try:
            incident = services.report_incident(
                services.FirstReport(**data), actor=request.user, client_key=key
            )
        except WorkflowError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Incident %(n)s received; those on duty are told.")
                             % {"n": incident.number})  # fmt: skip
            return redirect("emergency:incident", incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "emergency/report.html", {"form": form}, status=status)


def _form_errors(form: Any, error: WorkflowError) -> None:
    placed = False
    for field, message in (error.fields or {}).items():
        if field in form.fields and message:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _incident(request: HttpRequest, pk: int) -> Incident:
    return get_for_user_or_404(Incident, request.user, pk=pk)


def _page_forms(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    user = request.user
    details = {name: getattr(incident, name) for name in services.DETAIL_FIELDS}
    return {
        "details": forms.DetailsForm(initial=details),
        "grade": forms.GradeForm(initial={"level": incident.level}),
        "stage": forms.StageForm(),
        "activate": forms.ActivateForm(user=user, incident=incident),
        "update": forms.UpdateForm(),
        "close": forms.CloseForm(),
        "spawn_case": forms.SpawnCaseForm(),
        "link_case": forms.LinkCaseForm(),
    }


def _render_page(request: HttpRequest, incident: Incident, bound: dict[str, Any] | None = None,
                 status: int = 200) -> HttpResponse:  # fmt: skip
    page_forms = _page_forms(request, incident) | (bound or {})
    context = {
        "incident": incident,
        "clock": _clock(incident),
        "manager": services.may_manage(request.user, incident),
        "forms": page_forms,
        "next_stages": rules.NEXT_STAGES[incident.stage],
        "teams": [
            (team, members, state, state.late(timezone.now()))
            for team, members, state in services.teams(incident)
        ],  # fmt: skip
        "steps": incident.step_checks.select_related("done_by"),
        "events": incident.events.select_related("by"),
        "cases": incident.cases.for_user(request.user),
        "Stage": Stage,
    }
    return render(request, "emergency/incident.html", context, status=status)


@require(staff)
def incident_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_page(request, _incident(request, pk))


ACTIONS = {
    "details": forms.DetailsForm,
    "grade": forms.GradeForm,
    "stage": forms.StageForm,
    "activate": forms.ActivateForm,
    "update": forms.UpdateForm,
    "close": forms.CloseForm,
    "spawn_case": forms.SpawnCaseForm,
    "link_case": forms.LinkCaseForm,
}


def _do(name: str, incident: Incident, actor: Any, data: dict[str, Any]) -> str:
    """Run one action; the message to show."""
    if name == "details":
        services.complete_report(incident, actor=actor, **data)
        return _("The report is completed.")
    if name == "grade":
        services.grade(incident, actor=actor, level=data["level"], reason=data["reason"])
        return _("The response level is set.")
    if name == "stage":
        services.advance(incident, actor=actor, stage=data["stage"], note=data["note"])
        return _("The incident moved to its next stage.")
    if name == "activate":
        services.activate_plan(incident, actor=actor, plan=data["plan"])
        return _("The plan is activated and its teams are called.")
    if name == "update":
        services.add_update(incident, actor=actor, note=data["note"], photo=data["photo"])
        return _("The update is on the timeline.")
    if name == "close":
        services.close(incident, actor=actor, summary=data["summary"])
        return _("The incident is closed.")
    if name == "spawn_case":
        case = services.spawn_case(incident, actor=actor, **data)
        return _("Case %(n)s is registered and linked.") % {"n": case.receipt_number}
    case = services.link_case(incident, actor=actor, receipt_number=data["receipt_number"])
    return _("Case %(n)s is linked.") % {"n": case.receipt_number}


@require(staff)
@require_POST
def incident_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    incident = _incident(request, pk)
    form_class = ACTIONS.get(name)
    if form_class is None:
        raise Http404
    extra = {"user": request.user, "incident": incident} if name == "activate" else {}
    form = form_class(request.POST, request.FILES, **extra)
    if form.is_valid():
        try:
            messages.success(request, _do(name, incident, request.user, form.cleaned_data))
            return redirect("emergency:incident", incident.pk)
        except WorkflowError as error:
            _form_errors(form, error)
    incident.refresh_from_db()
    return _render_page(request, incident, {name: form}, status=400)


@require(staff)
@require_POST
def check_in(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    incident = _incident(request, pk)
    person = TeamMember.objects.filter(pk=member, team__plan_id=incident.plan_id).first()
    if person is None:
        raise Http404
    try:
        services.check_in(incident, actor=request.user, member=person)
        messages.success(request, _("%(name)s has arrived.") % {"name": person.name})
    except WorkflowError as error:
        messages.error(request, error.message)
    return redirect("emergency:incident", incident.pk)


@require(staff)
@require_POST
def tick_step(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    incident = _incident(request, pk)
    try:
        services.tick_step(incident, actor=request.user, position=position)
    except WorkflowError as error:
        messages.error(request, error.message)
    return redirect("emergency:incident", incident.pk)


@require(staff)
def district_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as sent once it was; until then, the draft as it would go now."""
    incident = _incident(request, pk)
    if incident.district_report:
        content = incident.district_report.read()
    else:
        content = district_report_pdf(incident, author=request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{incident.number}-report.pdf"'
    return response


@require(staff)
@require_POST
def mark_reported(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    try:
        pdf = district_report_pdf(incident, author=request.user)
        services.mark_reported(incident, actor=request.user, pdf=pdf)
        messages.success(request, _("The report to the district is recorded as sent."))
    except WorkflowError as error:
        messages.error(request, error.message)
    return redirect("emergency:incident", incident.pk)


# --- plans ---------------------------------------------------------------------------


@require(staff)
def plans(request: HttpRequest) -> HttpResponse:
    context = {
        "plans": ContingencyPlan.objects.for_user(request.user).prefetch_related("teams__members"),
        "may_edit": services.may_edit_plans(request.user),
    }
    return render(request, "emergency/plans.html", context)


@require(staff)
def plan_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    plan = get_for_user_or_404(ContingencyPlan, request.user, pk=pk) if pk else None
    if not services.may_edit_plans(request.user):
        raise PermissionDenied
    form = forms.PlanForm(request.POST or None, instance=plan, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = services.save_plan(form, actor=request.user)
        messages.success(request, _("The plan is saved."))
        return redirect("emergency:plan", saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "emergency/plan_form.html", {"form": form, "plan": plan}, status=status)


@require(staff)
@require_POST
def drill(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_for_user_or_404(ContingencyPlan, request.user, pk=pk)
    try:
        incident = services.run_drill(plan, actor=request.user)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("emergency:plans")
    messages.success(request, _("Drill %(n)s started; it is not counted.") % {"n": incident.number})
    return redirect("emergency:incident", incident.pk)


# --- the duty roster ------------------------------------------------------------------


def _week(value: str | None) -> date:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        day = timezone.localdate()
    return day - timedelta(days=day.weekday())


@require(staff)
def roster(request: HttpRequest) -> HttpResponse:
    """This week's roster at the user's node: who is on each shift, and where cover is missing."""
    user = request.user
    monday = _week(request.GET.get("week"))
    form = forms.DutyShiftForm(request.POST or None, user=user, initial={"day": monday})
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_shift(form, actor=user)
                messages.success(request, _("The shift is on the roster."))
                return redirect(f"{request.path}?week={form.cleaned_data['day'].isoformat()}")
            except WorkflowError as error:
                _form_errors(form, error)
    days = [monday + timedelta(days=i) for i in range(7)]
    shifts = DutyShift.objects.for_user(user).filter(day__in=days).select_related(
        "user", "jurisdiction")  # fmt: skip
    grid = [(day, [(s, [x for x in shifts if x.day == day and x.shift == s]) for s in Shift.values])
            for day in days]  # fmt: skip
    context = {
        "form": form,
        "grid": grid,
        "shift_labels": dict(Shift.choices),
        "gaps": [
            (gap.day, Shift(gap.shift).label if gap.shift else None)
            for gap in gaps(user.jurisdiction, monday, 7)
        ],  # fmt: skip
        "monday": monday,
        "previous": monday - timedelta(days=7),
        "following": monday + timedelta(days=7),
        "may_edit": services.may_edit_roster(user),
    }
    return render(request, "emergency/roster.html", context, status=400 if form.errors else 200)


@require(staff)
@require_POST
def remove_shift(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_for_user_or_404(DutyShift, request.user, pk=pk)
    if not services.may_edit_roster(request.user):
        raise PermissionDenied
    shift.delete()
    record("org.duty_shift.removed", None, actor=request.user,
                    object_type="dutyshift", object_id=str(pk))  # fmt: skip
    return redirect(f"/emergency/roster/?week={shift.day.isoformat()}")


urlpatterns = [
    path("", index, name="index"),
    path("report/", report, name="report"),
    path("<int:pk>/", incident_page, name="incident"),
    path("<int:pk>/do/<slug:name>/", incident_action, name="action"),
    path("<int:pk>/check-in/<int:member>/", check_in, name="check_in"),
    path("<int:pk>/steps/<int:position>/", tick_step, name="step"),
    path("<int:pk>/district-report.pdf", district_report, name="district_report"),
    path("<int:pk>/reported/", mark_reported, name="reported"),
    path("plans/", plans, name="plans"),
    path("plans/new/", plan_form, name="plan_new"),
    path("plans/<int:pk>/", plan_form, name="plan"),
    path("plans/<int:pk>/drill/", drill, name="drill"),
    path("roster/", roster, name="roster"),
    path("roster/<int:pk>/remove/", remove_shift, name="remove_shift"),
]
