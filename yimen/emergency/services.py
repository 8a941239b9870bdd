"""Everything done to an incident, one function each, shared by the pages and the tests.

Each function checks who may act, writes the change and its timeline line in one
transaction, and records an audit event. Refusals raise the case workflow's errors
(``Invalid`` with the field at fault, ``NotAllowed``, ``WorkflowError``), which the pages
show as messages with what was typed kept.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.audit.services import record
from yimen.cases import workflow
from yimen.cases.models import Case, Category, Channel
from yimen.cases.workflow import Invalid, NotAllowed, WorkflowError
from yimen.notices.models import NoticeKind
from yimen.notices.services import notify
from yimen.org.models import Jurisdiction, Role, UnitKind, User
from yimen.org.permissions import has_role
from yimen.org.roster import urgent_recipients
from yimen.org.scoping import path_and_ancestors

from . import rules
from .models import (
    CheckIn,
    ContingencyPlan,
    Incident,
    IncidentEvent,
    Level,
    Stage,
    StepCheck,
    TeamMember,
)

MANAGERS = (Role.DIRECTOR, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)


# --- who may act --------------------------------------------------------------------------


def _sees(user: Any, jurisdiction: Jurisdiction) -> bool:
    path = getattr(user, "visible_path", None)
    return bool(path) and jurisdiction.path.startswith(path)


def may_report(user: Any, jurisdiction: Jurisdiction) -> bool:
    """Any staff member may raise the alarm for a place they serve."""
    return _sees(user, jurisdiction)


def may_manage(user: Any, incident: Incident) -> bool:
    """The center's leadership and the safety office grade, activate, report and close."""
    if not _sees(user, incident.jurisdiction):
        return False
    return has_role(user, *MANAGERS) or bool(user.unit_id and user.unit.kind == UnitKind.SAFETY)


def _check_manager(user: Any, incident: Incident) -> None:
    if not may_manage(user, incident):
        raise NotAllowed(_("Only the center's leadership or the safety office may do this."))


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().select_related("jurisdiction").get(pk=incident.pk)


def _event(incident: Incident, action: str, actor: Any, note: str = "", **extra: Any) -> None:
    IncidentEvent.objects.create(
        incident=incident, at=timezone.now(), by=actor, action=action, note=note, **extra
    )
    record(f"emergency.incident.{action}", incident, actor=actor, changes={"note": note})


def incident_url(incident: Incident) -> str:
    return reverse("emergency:incident", args=[incident.pk])


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(message, fields={field: message})
    return value


# --- the first report ------------------------------------------------------------------------


@dataclass
class FirstReport:
    """What a first report may carry: only the place and what is happening are required."""

    jurisdiction: Jurisdiction
    situation: str
    incident_type: str = "other"
    address: str = ""
    latitude: Any = None
    longitude: Any = None
    occurred_at: datetime | None = None
    account: str = ""
    assessment: str = ""
    measures: str = ""
    support_needed: str = ""
    reporter_name: str = ""
    reporter_contact: str = ""


def report_incident(
    report: FirstReport, *, actor: Any, client_key: uuid.UUID | None = None, drill_of: Any = None
) -> Incident:
    """接警: record the first report at once and tell those on duty; detail can come later.

    A report sent twice with the same ``client_key`` (a phone that lost its network and
    resent) gives back the incident already made.
    """
    if client_key and (known := Incident.objects.filter(client_key=client_key).first()):
        return known
    if not may_report(actor, report.jurisdiction):
        raise NotAllowed(_("Choose a place inside your jurisdiction."))
    situation = _required(report.situation, "situation", _("Say what is happening."))
    now = timezone.now()
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                number=workflow.next_number("SJ", timezone.localtime(now).year),
                client_key=client_key,
                jurisdiction=report.jurisdiction,
                incident_type=report.incident_type or "other",
                is_drill=drill_of is not None,
                occurred_at=report.occurred_at,
                received_at=now,
                received_by=actor,
                address=report.address.strip(),
                latitude=report.latitude,
                longitude=report.longitude,
                situation=situation,
                account=report.account.strip(),
                assessment=report.assessment.strip(),
                measures=report.measures.strip(),
                support_needed=report.support_needed.strip(),
                reporter_name=report.reporter_name.strip(),
                reporter_contact=report.reporter_contact.strip(),
            )
            _event(incident, "received", actor, situation, stage=Stage.RECEIVED)
    except IntegrityError:
        if client_key and (known := Incident.objects.filter(client_key=client_key).first()):
            return known
        raise
    if not incident.is_drill:
        transaction.on_commit(lambda: _alarm(incident, NoticeKind.INCIDENT))
    return incident


def _alarm(incident: Incident, kind: str, people: Any = None) -> None:
    label = incident.get_level_display() if incident.level else _("not graded yet")
    notify(
        people if people is not None else urgent_recipients(incident.jurisdiction),
        kind=kind,
        link=incident_url(incident),
        message=_("Incident %(number)s (%(level)s): %(situation)s")
        % {"number": incident.number, "level": label, "situation": incident.situation[:120]},
    )


DETAIL_FIELDS = (
    "incident_type",
    "occurred_at",
    "address",
    "latitude",
    "longitude",
    "account",
    "assessment",
    "measures",
    "support_needed",
    "reporter_name",
    "reporter_contact",
)


@transaction.atomic
def complete_report(incident: Incident, *, actor: Any, **details: Any) -> Incident:
    """The rest of the report, filled in as it becomes known."""
    incident = _locked(incident)
    if not (may_manage(actor, incident) or incident.received_by_id == actor.pk):
        raise NotAllowed(_("Only the reporter or the center's leadership may add to the report."))
    changed = []
    for name, value in details.items():
        if name in DETAIL_FIELDS and getattr(incident, name) != value:
            setattr(incident, name, value.strip() if isinstance(value, str) else value)
            changed.append(name)
    if changed:
        incident.save(update_fields=changed)
        _event(incident, "report_completed", actor, ", ".join(changed))
    return incident


# --- grading and stages -------------------------------------------------------------------------


def _district_staff(incident: Incident) -> Any:
    """The district's directors and leaders: the nodes above the incident's street."""
    paths = path_and_ancestors(incident.jurisdiction.path)
    return User.objects.filter(
        is_active=True, role__in=(Role.DIRECTOR, Role.LEADER), jurisdiction__path__in=paths
    )


@transaction.atomic
def grade(incident: Incident, *, actor: Any, level: str, reason: str = "") -> Incident:
    """定级, or a change of level with its reason; the report deadline follows the level.

    The deadline counts from receipt. A graver level tells the district at once.
    """
    incident = _locked(incident)
    _check_manager(actor, incident)
    if level not in Level.values:
        message = _("Choose a response level.")
        raise Invalid(message, fields={"level": message})
    if incident.stage == Stage.CLOSED:
        raise WorkflowError(_("This incident is closed."))
    if incident.level:
        if level == incident.level:
            raise Invalid(_("The incident is already at this level."), fields={"level": ""})
        reason = _required(reason, "reason", _("Say why the level changes."))
    before = incident.level
    incident.level = level
    incident.report_due_at = rules.report_due(incident.received_at, level)
    fields = ["level", "report_due_at"]
    if incident.stage == Stage.RECEIVED:
        incident.stage = Stage.GRADED
        fields.append("stage")
    incident.save(update_fields=fields)
    note = incident.get_level_display() + (f" — {reason.strip()}" if reason.strip() else "")
    _event(incident, "level_changed" if before else "graded", actor, note, stage=incident.stage)
    if not incident.is_drill and level in rules.NOTIFY_DISTRICT:
        people = urgent_recipients(incident.jurisdiction) | _district_staff(incident)
        transaction.on_commit(lambda: _alarm(incident, NoticeKind.URGENT, people))
    return incident


@transaction.atomic
def advance(incident: Incident, *, actor: Any, stage: str, note: str = "") -> Incident:
    """Move to the next stage; activation goes through ``activate_plan``, closing ``close``."""
    incident = _locked(incident)
    _check_manager(actor, incident)
    if stage in (Stage.ACTIVATED, Stage.CLOSED):
        raise WorkflowError(_("Use the plan's activation or the closing form for this stage."))
    _check_move(incident, stage)
    incident.stage = stage
    incident.save(update_fields=["stage"])
    _event(incident, "stage", actor, note.strip(), stage=stage)
    return incident


def _check_move(incident: Incident, stage: str) -> None:
    if not rules.may_move(incident.stage, stage):
        raise WorkflowError(
            _("An incident at %(now)s cannot move to %(next)s.")
            % {"now": Stage(incident.stage).label, "next": Stage(stage).label}
        )


@transaction.atomic
def activate_plan(incident: Incident, *, actor: Any, plan: ContingencyPlan) -> Incident:
    """启动: the plan's steps become the incident's checklist and its teams are called."""
    incident = _locked(incident)
    _check_manager(actor, incident)
    _check_move(incident, Stage.ACTIVATED)
    if not ContingencyPlan.objects.for_user(actor).filter(pk=plan.pk, is_active=True).exists():
        raise Invalid(_("Choose a plan in force for this place."), fields={"plan": ""})
    now = timezone.now()
    incident.plan, incident.activated_at, incident.stage = plan, now, Stage.ACTIVATED
    incident.save(update_fields=["plan", "activated_at", "stage"])
    StepCheck.objects.bulk_create(
        StepCheck(incident=incident, position=i, text=text[:300])
        for i, text in enumerate(plan.step_lines, start=1)
    )
    _event(incident, "plan_activated", actor, plan.title, stage=Stage.ACTIVATED)
    members = TeamMember.objects.filter(team__plan=plan, account__isnull=False)
    accounts = User.objects.filter(is_active=True, pk__in=members.values("account_id"))
    transaction.on_commit(lambda: _alarm(incident, NoticeKind.INCIDENT, accounts))
    return incident


@transaction.atomic
def check_in(incident: Incident, *, actor: Any, member: TeamMember) -> CheckIn:
    """A member reports arrival: themselves (their account), or recorded by a manager."""
    incident = _locked(incident)
    if incident.plan_id is None or member.team.plan_id != incident.plan_id:
        raise Invalid(_("This person is not on a team of the activated plan."))
    if member.account_id != actor.pk:
        _check_manager(actor, incident)
    if incident.stage == Stage.CLOSED:
        raise WorkflowError(_("This incident is closed."))
    try:
        with transaction.atomic():
            arrival = CheckIn.objects.create(
                incident=incident, member=member, arrived_at=timezone.now(), recorded_by=actor
            )
    except IntegrityError as exc:
        raise WorkflowError(_("%(name)s has checked in already.") % {"name": member.name}) from exc
    _event(incident, "checked_in", actor, f"{member.team.name}: {member.name}")
    return arrival


def teams(incident: Incident) -> list[tuple[Any, list[tuple[TeamMember, Any]], rules.TeamState]]:
    """Each team of the activated plan: its members with their check-in, and its state."""
    if incident.plan_id is None or incident.activated_at is None:
        return []
    arrivals = {c.member_id: c for c in incident.check_ins.all()}
    deadline = rules.assembly_deadline(incident.activated_at)
    result = []
    for team in incident.plan.teams.prefetch_related("members"):
        members = [(m, arrivals.get(m.pk)) for m in team.members.all()]
        arrived = sum(1 for _m, arrival in members if arrival)
        result.append((team, members, rules.TeamState(team.name, len(members), arrived, deadline)))
    return result


@transaction.atomic
def tick_step(incident: Incident, *, actor: Any, position: int) -> None:
    incident = _locked(incident)
    _check_manager(actor, incident)
    step = StepCheck.objects.filter(incident=incident, position=position, done_at=None).first()
    if step is None:
        raise WorkflowError(_("This step is done already."))
    step.done_at, step.done_by = timezone.now(), actor
    step.save(update_fields=["done_at", "done_by"])
    _event(incident, "step_done", actor, step.text)


@transaction.atomic
def add_update(incident: Incident, *, actor: Any, note: str, photo: Any = None) -> None:
    """A free-text update on the timeline, with an optional photo (already re-encoded)."""
    incident = _locked(incident)
    if not _sees(actor, incident.jurisdiction):
        raise NotAllowed(_("This incident is outside your jurisdiction."))
    note = _required(note, "note", _("Write the update."))
    IncidentEvent.objects.create(
        incident=incident, at=timezone.now(), by=actor, action="update", note=note,
        photo=photo or "",
    )  # fmt: skip
    record("emergency.incident.update", incident, actor=actor, changes={"note": note})


@transaction.atomic
def mark_reported(incident: Incident, *, actor: Any, pdf: bytes) -> Incident:
    """The report to the district, as sent: the document is kept, with who and when."""
    incident = _locked(incident)
    _check_manager(actor, incident)
    if not incident.level:
        raise WorkflowError(_("Grade the incident before reporting it to the district."))
    if incident.reported_at:
        raise WorkflowError(_("The report to the district was sent already."))
    incident.reported_at, incident.reported_by = timezone.now(), actor
    incident.district_report.save(f"{incident.number}-report.pdf", ContentFile(pdf), save=False)
    incident.save(update_fields=["reported_at", "reported_by", "district_report"])
    clock = rules.clock(incident.report_due_at, incident.reported_at, incident.reported_at)
    note = _("on time") if clock.on_time else _("late")
    _event(incident, "reported_to_district", actor, str(note))
    return incident


@transaction.atomic
def close(incident: Incident, *, actor: Any, summary: str) -> Incident:
    """结束: only from recovery, and only with the after-action summary."""
    incident = _locked(incident)
    _check_manager(actor, incident)
    _check_move(incident, Stage.CLOSED)
    summary = _required(summary, "summary", _("Write the after-action summary."))
    incident.stage, incident.summary, incident.closed_at = Stage.CLOSED, summary, timezone.now()
    incident.save(update_fields=["stage", "summary", "closed_at"])
    _event(incident, "closed", actor, summary, stage=Stage.CLOSED)
    return incident


# --- links and drills ---------------------------------------------------------------------------


@transaction.atomic
def spawn_case(
    incident: Incident, *, actor: Any, title: str, category: Category, description: str,
    applicant: str, phone: str = "",
) -> Case:  # fmt: skip
    """A matter that follows from the incident (a dispute over the damage…), as a case."""
    if not _sees(actor, incident.jurisdiction):
        raise NotAllowed(_("This incident is outside your jurisdiction."))
    case = workflow.register_case(
        actor=actor,
        title=title,
        description=description,
        category=category,
        channel=Channel.TRANSFER,
        jurisdiction=incident.jurisdiction,
        address=incident.address,
        latitude=incident.latitude,
        longitude=incident.longitude,
        parties=[workflow.NewParty(applicant, "applicant", phone)],
    ).case
    incident.cases.add(case)
    _event(incident, "case_linked", actor, case.receipt_number)
    return case


@transaction.atomic
def link_case(incident: Incident, *, actor: Any, receipt_number: str) -> Case:
    case = Case.objects.for_user(actor).filter(receipt_number=receipt_number.strip()).first()
    if case is None:
        message = _("No case with this receipt number in your jurisdiction.")
        raise Invalid(message, fields={"receipt_number": message})
    incident.cases.add(case)
    _event(incident, "case_linked", actor, case.receipt_number)
    return case


def run_drill(plan: ContingencyPlan, *, actor: Any) -> Incident:
    """演练: an incident marked as a drill, with the plan activated; never counted."""
    report = FirstReport(
        jurisdiction=plan.jurisdiction,
        situation=_("Drill of the plan “%(plan)s”") % {"plan": plan.title},
        incident_type=plan.incident_type,
    )
    with transaction.atomic():
        incident = report_incident(report, actor=actor, drill_of=plan)
        incident = grade(incident, actor=actor, level=Level.IV)
        return activate_plan(incident, actor=actor, plan=plan)


def counted(incidents: Any) -> Any:
    """Incidents that count in any statistics: never the drills."""
    return incidents.filter(is_drill=False)


# --- plans and the roster -------------------------------------------------------------------


def may_edit_plans(user: Any) -> bool:
    return has_role(user, Role.DIRECTOR, Role.ADMIN) or bool(
        getattr(user, "unit_id", None) and user.unit.kind == UnitKind.SAFETY
    )


@transaction.atomic
def save_plan(form: Any, *, actor: Any) -> ContingencyPlan:
    """The plan and its teams, replaced whole from the form (one transaction)."""
    if not may_edit_plans(actor):
        raise NotAllowed(_("Only the director, an administrator or the safety office edits plans."))
    plan = form.save()
    plan.teams.all().delete()
    teams: dict[str, Any] = {}
    for team_name, name, duty, phone, account in form.cleaned_data["teams"]:
        if team_name not in teams:
            teams[team_name] = plan.teams.create(name=team_name, position=len(teams))
        teams[team_name].members.create(name=name, duty=duty, phone=phone, account=account)
    record("emergency.plan.saved", plan, actor=actor, changes={"teams": len(teams)})
    return plan


def may_edit_roster(user: Any) -> bool:
    return has_role(user, Role.DIRECTOR, Role.ADMIN)


def add_shift(form: Any, *, actor: Any) -> Any:
    if not may_edit_roster(actor):
        raise NotAllowed(_("Only the director or an administrator edits the duty roster."))
    try:
        with transaction.atomic():
            shift = form.save()
    except IntegrityError as exc:
        raise Invalid(_("This person is already on this shift.")) from exc
    record("org.duty_shift.added", shift, actor=actor, changes={"day": str(shift.day)})
    return shift


def awaiting_report(user: Any) -> list[tuple[Incident, rules.Clock]]:
    """Graded incidents not yet reported to the district, the soonest deadline first:
    the supervision desk shows them with their clock."""
    incidents = counted(Incident.objects.for_user(user)).filter(
        report_due_at__isnull=False, reported_at__isnull=True
    )
    now = timezone.now()
    return [
        (i, rules.clock(i.report_due_at, None, now)) for i in incidents.order_by("report_due_at")
    ]


def month_incidents(user: Any, period: Any) -> Any:
    """The month's incidents (never drills) for the monthly meeting's agenda."""
    return counted(Incident.objects.for_user(user)).filter(period.contains("received_at"))
