"""Everything written in field work, one function each, shared by the pages and the tests.

Each function checks who may act and the rules (``rules``), writes in one transaction and
records an audit event. Refusals raise the case workflow's errors (``Invalid`` with the
fields at fault, ``NotAllowed``, ``WorkflowError``), which the pages show beside what was
typed. Matters found in the field become cases through ``workflow.register_case`` — a
patrol's as grid reports, a screening's as found in screening — so they are routed like
any other.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yimen.audit.services import record
from yimen.cases import workflow
from yimen.cases.models import Case, Category, Channel
from yimen.cases.workflow import Invalid, NotAllowed, WorkflowError
from yimen.org.models import Jurisdiction, Level, Role, User
from yimen.org.permissions import has_role
from yimen.portal.views.report import title_from
from yimen.safety.models import Hazard, Source
from yimen.safety.services import report_hazard

from . import rules
from .models import (
    Campaign,
    CampaignGrid,
    CampaignKind,
    Finding,
    FindingPhoto,
    GridAssignment,
    Patrol,
    ScreeningFinding,
)

GRID_MANAGERS = (Role.ADMIN, Role.DIRECTOR)
CAMPAIGN_ORGANISERS = (Role.DIRECTOR, Role.SUPERVISOR)


# --- who may act --------------------------------------------------------------------------


def _serves(user: Any, node: Jurisdiction) -> bool:
    path = getattr(user, "visible_path", None)
    return bool(path) and node.path.startswith(path)


def may_log_patrol(user: Any) -> bool:
    """Patrols are the grid workers' own record of their work."""
    return has_role(user, Role.GRID)


def may_manage_grids(user: Any) -> bool:
    """Administrators and directors draw grids and name who answers for them."""
    return has_role(user, *GRID_MANAGERS)


def may_organise_campaigns(user: Any) -> bool:
    return has_role(user, *CAMPAIGN_ORGANISERS)


def may_report_screening(user: Any, report: CampaignGrid) -> bool:
    """A grid worker serving the grid reports its screening."""
    return has_role(user, Role.GRID) and _serves(user, report.grid)


def may_raise_from(user: Any, finding: Finding) -> bool:
    """A grid worker serving the grid turns a recorded finding into a case or hazard."""
    return has_role(user, Role.GRID) and _serves(user, finding.patrol.grid)


# --- grids ----------------------------------------------------------------------------------


def grids_for(user: Any) -> QuerySet[Jurisdiction]:
    """The grids this user serves, in tree order."""
    return Jurisdiction.objects.for_user(user).filter(level=Level.GRID)


def default_grid(user: Any) -> Jurisdiction | None:
    """The grid a worker answers for (the first, if several), else the grid they are placed at."""
    assignment = GridAssignment.objects.for_user(user).filter(worker=user).first()
    if assignment is not None:
        return assignment.grid
    node = user.jurisdiction
    return node if node is not None and node.level == Level.GRID else None


@dataclass(frozen=True)
class GridStatus:
    """A grid on the field-work overview: who answers for it and when it was last patrolled."""

    grid: Jurisdiction
    worker: User | None
    last_patrol: datetime | None
    gap: bool


def grid_overview(user: Any, today: date) -> list[GridStatus]:
    """The user's grids with their last patrol; a gap is flagged after
    ``YIMEN_PATROL_GAP_DAYS`` days without one (one query)."""
    grids = (
        grids_for(user)
        .annotate(last_patrol=Max("patrols__started_at"))
        .select_related("assignment__worker")
    )
    days = settings.YIMEN_PATROL_GAP_DAYS
    rows = []
    for grid in grids:
        last = grid.last_patrol
        last_day = timezone.localtime(last).date() if last else None
        assignment = getattr(grid, "assignment", None)
        rows.append(
            GridStatus(
                grid=grid,
                worker=assignment.worker if assignment else None,
                last_patrol=last,
                gap=rules.patrol_gap(last_day, today, days),
            )
        )
    return rows


def assign_worker(grid: Jurisdiction, *, actor: Any, worker: User) -> GridAssignment:
    """Name the grid worker who answers for a grid; they must serve it themselves."""
    if not (may_manage_grids(actor) and _serves(actor, grid)):
        raise NotAllowed(_("Only an administrator or director serving this grid may do this."))
    if grid.level != Level.GRID:
        raise Invalid(_("Only a grid has a grid worker."))
    if worker.role != Role.GRID or not worker.is_active or not _serves(worker, grid):
        message = _("Choose an active grid worker placed at this grid or above it.")
        raise Invalid(message, fields={"worker": message})
    with transaction.atomic():
        assignment = GridAssignment.objects.select_for_update().filter(grid=grid).first()
        before = assignment.worker_id if assignment else None
        if assignment is None:
            assignment = GridAssignment(grid=grid)
        assignment.worker = worker
        assignment.save()
        record(
            "fieldwork.grid.worker_assigned",
            assignment,
            actor=actor,
            changes={"worker": [before, worker.pk]},
        )
    return assignment


# --- patrols --------------------------------------------------------------------------------


class Becomes(TextChoices):
    """What a patrol finding becomes when it is recorded."""

    NOTE = "note", gettext_lazy("Record only")
    CASE = "case", gettext_lazy("Register a case")
    HAZARD = "hazard", gettext_lazy("Report a hazard")


@dataclass(frozen=True)
class NewFinding:
    text: str
    latitude: Any = None
    longitude: Any = None
    outside_reason: str = ""
    photos: Sequence[Any] = ()  # re-encoded JPEGs (``portal.photos.resized_jpeg``)
    becomes: str = Becomes.NOTE
    category: Category | None = None

    @property
    def point(self) -> rules.Point:
        return rules.Point(self.latitude, self.longitude, self.outside_reason)


@dataclass(frozen=True)
class NewPatrol:
    grid: Jurisdiction
    started_at: datetime
    ended_at: datetime
    checked: str
    findings: Sequence[NewFinding] = field(default_factory=tuple)


def patrol_made_with(client_key: uuid.UUID | None, actor: Any) -> Patrol | None:
    """The patrol this form already made, when it is sent again."""
    if not client_key:
        return None
    known = Patrol.objects.filter(client_key=client_key).first()
    if known is not None and known.worker_id != actor.pk:
        raise Invalid(_("This form was already sent by someone else. Open a new one."))
    return known


def _check_patrol(patrol: NewPatrol, actor: Any) -> None:
    if not may_log_patrol(actor):
        raise NotAllowed(_("Only grid workers log patrols."))
    if patrol.grid.level != Level.GRID or not _serves(actor, patrol.grid):
        message = _("Choose a grid you serve.")
        raise Invalid(message, fields={"grid": message})
    problems = rules.patrol_problems(
        patrol.grid, patrol.started_at, patrol.ended_at, [f.point for f in patrol.findings]
    )
    if not patrol.checked.strip():
        problems["checked"] = _("Say what was checked.")
    for index, item in enumerate(patrol.findings):
        if not item.text.strip():
            problems[rules.finding_field(index, "text")] = _("Say what was found.")
        if item.becomes == Becomes.CASE and item.category is None:
            problems[rules.finding_field(index, "category")] = _("Choose the case's category.")
    if problems:
        raise Invalid(next(iter(problems.values())), fields=problems)


def log_patrol(patrol: NewPatrol, *, actor: Any, client_key: uuid.UUID | None = None) -> Patrol:
    """巡查记录: the patrol, its findings, their photos and what they became, all or nothing.

    A form sent twice with the same ``client_key`` (a phone that lost its network and
    resent) gives back the patrol already made.
    """
    if known := patrol_made_with(client_key, actor):
        return known
    _check_patrol(patrol, actor)
    try:
        with transaction.atomic():
            made = Patrol.objects.create(
                worker=actor,
                grid=patrol.grid,
                started_at=patrol.started_at,
                ended_at=patrol.ended_at,
                checked=patrol.checked.strip(),
                client_key=client_key,
            )
            for item in patrol.findings:
                _record_finding(made, item, actor)
            record(
                "fieldwork.patrol.logged",
                made,
                actor=actor,
                changes={"grid": made.grid_id, "findings": len(patrol.findings)},
            )
    except IntegrityError:
        if known := patrol_made_with(client_key, actor):
            return known
        raise
    return made


def _record_finding(patrol: Patrol, item: NewFinding, actor: Any) -> Finding:
    finding = Finding.objects.create(
        patrol=patrol,
        text=item.text.strip(),
        latitude=item.latitude,
        longitude=item.longitude,
        outside_reason=item.outside_reason.strip(),
    )
    for photo in item.photos:
        FindingPhoto.objects.create(finding=finding, file=photo, original_name=photo.name[:200])
    if item.becomes == Becomes.CASE:
        _register_case(finding, item.category, actor)
    elif item.becomes == Becomes.HAZARD:
        _report_hazard(finding, actor)
    return finding


def _photo_uploads(finding: Finding) -> list[SimpleUploadedFile]:
    """The finding's stored photos as new uploads, for the case or hazard it becomes."""
    uploads = []
    for photo in finding.photos.all():
        with photo.file.open("rb") as handle:
            content = handle.read()
        uploads.append(SimpleUploadedFile(photo.original_name, content, "image/jpeg"))
    return uploads


def _register_case(finding: Finding, category: Category, actor: Any) -> Case:
    """登记 the finding as a grid report: its text, point and photos; it awaits routing."""
    case = workflow.register_case(
        actor=actor,
        title=title_from(finding.text),
        description=finding.text,
        category=category,
        channel=Channel.GRID,
        jurisdiction=finding.patrol.grid,
        attachments=[workflow.NewAttachment(upload) for upload in _photo_uploads(finding)],
        latitude=finding.latitude,
        longitude=finding.longitude,
    ).case
    finding.case = case
    finding.save(update_fields=["case"])
    record(
        "fieldwork.finding.case_registered",
        finding,
        actor=actor,
        changes={"case": case.receipt_number},
    )
    return case


def _locked_finding(finding: Finding, actor: Any) -> Finding:
    """The finding, locked, if the actor may raise something from it and nothing was yet."""
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("patrol__grid")
        .get(pk=finding.pk)
    )
    if not may_raise_from(actor, finding):
        raise NotAllowed(_("Only a grid worker serving this grid may do this."))
    if finding.is_raised:
        raise WorkflowError(_("This finding is already a case or a hazard."))
    return finding


def finding_to_case(finding: Finding, *, actor: Any, category: Category) -> Case:
    """A finding recorded earlier becomes a case in one step."""
    with transaction.atomic():
        return _register_case(_locked_finding(finding, actor), category, actor)


def _report_hazard(finding: Finding, actor: Any) -> Hazard:
    """The finding reported to public safety as a hazard found on patrol."""
    hazard = report_hazard(
        actor=actor,
        jurisdiction=finding.patrol.grid,
        description=finding.text,
        latitude=finding.latitude,
        longitude=finding.longitude,
        photos=_photo_uploads(finding),
        source=Source.PATROL,
    )
    finding.hazard = hazard
    finding.save(update_fields=["hazard"])
    record(
        "fieldwork.finding.hazard_reported", finding, actor=actor, changes={"hazard": hazard.number}
    )
    return hazard


def finding_to_hazard(finding: Finding, *, actor: Any) -> Hazard:
    """A finding recorded earlier becomes a hazard in one step."""
    with transaction.atomic():
        return _report_hazard(_locked_finding(finding, actor), actor)


def patrols_with_findings(patrols: QuerySet[Patrol]) -> QuerySet[Patrol]:
    """Patrols for a list: the grid, the worker and the findings with what they became."""
    return patrols.select_related("grid", "worker").prefetch_related(
        Prefetch("findings", queryset=Finding.objects.select_related("case", "hazard"))
    )


# --- screening campaigns --------------------------------------------------------------------


def default_title(kind: str, starts_on: date, ends_on: date) -> str:
    return f"{CampaignKind(kind).label} {starts_on:%Y-%m-%d} ~ {ends_on:%Y-%m-%d}"


def create_campaign(
    *,
    actor: Any,
    kind: str,
    starts_on: date,
    ends_on: date,
    grids: Sequence[Jurisdiction],
    checklist: str = "",
    title: str = "",
) -> Campaign:
    """排查: a campaign over grids the organiser serves, for a period, with a checklist."""
    if not may_organise_campaigns(actor):
        raise NotAllowed(_("Only a director or supervisor organises screening campaigns."))
    problems = {}
    if kind not in CampaignKind.values:
        problems["kind"] = _("Choose the kind of screening.")
    if ends_on < starts_on:
        problems["ends_on"] = _("The campaign cannot end before it starts.")
    if not grids:
        problems["grids"] = _("Choose at least one grid.")
    elif any(g.level != Level.GRID or not _serves(actor, g) for g in grids):
        problems["grids"] = _("Choose only grids you serve.")
    if problems:
        raise Invalid(next(iter(problems.values())), fields=problems)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=kind,
            title=title.strip() or default_title(kind, starts_on, ends_on),
            jurisdiction=actor.jurisdiction,
            starts_on=starts_on,
            ends_on=ends_on,
            checklist=checklist.strip(),
            created_by=actor,
        )
        CampaignGrid.objects.bulk_create(CampaignGrid(campaign=campaign, grid=g) for g in grids)
        record(
            "fieldwork.campaign.created",
            campaign,
            actor=actor,
            changes={
                "kind": kind,
                "period": [starts_on, ends_on],
                "grids": sorted(g.code for g in grids),
            },
            path=actor.jurisdiction.path,
        )
    return campaign


def last_routine(actor: Any) -> Campaign | None:
    """The latest routine campaign organised at the actor's own node."""
    return (
        Campaign.objects.filter(kind=CampaignKind.ROUTINE, jurisdiction=actor.jurisdiction_id)
        .order_by("-ends_on", "-pk")
        .first()
    )


def next_routine_period(actor: Any, today: date) -> tuple[date, date]:
    """The next routine screening: from the day after the last one ended (else today), for
    ``YIMEN_SCREENING_ROUTINE_DAYS`` days."""
    previous = last_routine(actor)
    start = rules.next_routine_start(previous.ends_on if previous else None, today)
    return rules.routine_period(start, settings.YIMEN_SCREENING_ROUTINE_DAYS)


def create_next_routine(*, actor: Any, today: date) -> Campaign:
    """The next routine campaign in one step: the last one's grids (those still served) and
    checklist, from the day after it ended."""
    previous = last_routine(actor)
    if previous is None:
        raise Invalid(_("There is no routine campaign to follow yet: create the first one."))
    starts_on, ends_on = next_routine_period(actor, today)
    grids = [
        row.grid
        for row in previous.grids.select_related("grid")
        if row.grid.path.startswith(actor.visible_path or "\0")
    ]
    return create_campaign(
        actor=actor,
        kind=CampaignKind.ROUTINE,
        starts_on=starts_on,
        ends_on=ends_on,
        grids=grids,
        checklist=previous.checklist,
    )


@dataclass(frozen=True)
class NewScreeningFinding:
    text: str
    category: Category


def report_screening(
    report: CampaignGrid, *, actor: Any, findings: Sequence[NewScreeningFinding] = ()
) -> CampaignGrid:
    """A grid's one report: "checked, nothing found", or its findings, each a new case.

    The report is claimed with one conditional UPDATE, so of two workers reporting the same
    grid at once exactly one succeeds; the cases are written with it or not at all.
    """
    if not may_report_screening(actor, report):
        raise NotAllowed(_("Only a grid worker serving this grid reports its screening."))
    today = timezone.localdate()
    if today < report.campaign.starts_on:
        raise WorkflowError(
            _("This campaign starts on %(day)s.") % {"day": report.campaign.starts_on.isoformat()}
        )
    if any(not item.text.strip() for item in findings):
        raise Invalid(_("Say what was found."))
    now = timezone.now()
    with transaction.atomic():
        claimed = CampaignGrid.objects.filter(pk=report.pk, reported_at__isnull=True).update(
            reported_at=now, reported_by=actor, nothing_found=not findings
        )
        if not claimed:
            raise WorkflowError(_("This grid has already reported for this campaign."))
        report.refresh_from_db()
        numbers = [_screening_case(report, item, actor).receipt_number for item in findings]
        record(
            "fieldwork.campaign.grid_reported",
            report,
            actor=actor,
            changes={"nothing_found": report.nothing_found, "cases": numbers},
        )
    return report


def _screening_case(report: CampaignGrid, item: NewScreeningFinding, actor: Any) -> Case:
    case = workflow.register_case(
        actor=actor,
        title=title_from(item.text),
        description=item.text,
        category=item.category,
        channel=Channel.SCREENING,
        jurisdiction=report.grid,
    ).case
    ScreeningFinding.objects.create(
        report=report, text=item.text.strip(), category=item.category, case=case
    )
    return case


def campaign_rows(campaign: Campaign, user: Any) -> QuerySet[CampaignGrid]:
    """The campaign's grids this user serves: reported or not, with when, by whom and what."""
    return (
        CampaignGrid.objects.for_user(user)
        .filter(campaign=campaign)
        .select_related("grid", "reported_by", "grid__assignment__worker")
        .prefetch_related(
            Prefetch("findings", queryset=ScreeningFinding.objects.select_related("case"))
        )
    )
