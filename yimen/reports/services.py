"""The steps of a periodic report, one function each, and who is responsible for it.

Each function checks who may act (``rules``) and the report's state, and raises a translated
``WorkflowError`` saying why not — with the reasons by form field in ``fields`` where a form
was typed — before anything is written. Changes to a report lock its row first, so a report
filed a moment ago is seen as filed, and every change writes an audit event.

Filing freezes a report: its PDF and workbook are written from the snapshot and the
narrative, who filed it and when are recorded, and from then on editing, generating the
figures again or filing again is refused.
"""

import hashlib
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yimen.audit.services import diff, record, snapshot
from yimen.cases.workflow import Invalid, NotAllowed, WorkflowError
from yimen.meetings.agenda import seen_from
from yimen.org.models import Jurisdiction, User
from yimen.periods import Period
from yimen.workdays.services import load_calendar

from . import rules, schedule
from .content import build_snapshot
from .documents import report_pdf, report_xlsx
from .models import NARRATIVE_FIELDS, Report, ReportStatus, ResponsiblePerson
from .schedule import ReportKind

# The longest period a report may cover.
MAX_DAYS = 366


def monthly_due_day() -> int:
    return settings.YIMEN_MONTHLY_REPORT_DUE_DAY


def scheduled_due_date(kind: str, period: Period) -> date | None:
    """The due date of a scheduled period, from the calendar table; None for any other."""
    if not schedule.is_scheduled(kind, period):
        return None
    calendar = load_calendar(period.end, period.end + timedelta(days=90))
    return schedule.due_date(kind, period, calendar, monthly_due_day())


def upcoming(today: date, *, back_days: int = 31) -> list[schedule.Due]:
    """The scheduled reports due from ``back_days`` ago up to the next one of each kind."""
    calendar = load_calendar(today - timedelta(days=back_days + 100), today + timedelta(days=100))
    dues = []
    for kind in ReportKind.values:
        found = schedule.dues_between(
            kind, today - timedelta(days=back_days), today + timedelta(days=45), calendar,
            monthly_due_day=monthly_due_day(),
            remind_days=settings.YIMEN_REMIND_WORKING_DAYS_BEFORE,
        )  # fmt: skip
        past = [due for due in found if due.date < today]
        dues += past + [due for due in found if due.date >= today][:1]
    return sorted(dues, key=lambda due: (due.date, due.kind))


# --- generating ----------------------------------------------------------------------------


def check_generate(actor: Any, kind: str | None = None) -> None:
    """Raise what ``generate_report`` would for this actor, before anything is typed."""
    allowed = rules.may_generate(actor, kind) if kind else rules.may_use(actor)
    if not allowed:
        raise NotAllowed(
            _(
                "Only a director, supervisor, leader or administrator, or the person "
                "responsible for this kind of report, generates it."
            )
        )


def read_period(kind: str, start: date | None, end: date | None, today: date) -> Period:
    """The period asked for: both dates, or neither for the latest period that has ended.

    Refused: one date without the other, an end before the start, a period that has not
    begun (nothing to report yet), and a period longer than a year.
    """
    if start is None and end is None:
        return schedule.last_ended(kind, today)
    errors = {}
    if start is None:
        errors["start"] = _("Give the first day too, or neither date for the period due now.")
    if end is None:
        errors["end"] = _("Give the last day too, or neither date for the period due now.")
    if start and end and end < start:
        errors["end"] = _("The end date is before the start date.")
    elif start and start > today:
        errors["start"] = _("The period has not begun yet: there is nothing to report.")
    elif start and end and (end - start).days >= MAX_DAYS:
        errors["end"] = _("A report covers at most a year.")
    if errors:
        raise Invalid(next(iter(errors.values())), fields=errors)
    return Period(start, end)


def generate_report(
    *,
    actor: Any,
    kind: str,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> tuple[Report, bool]:
    """A report of ``kind`` on the period for the actor's node, with its figures taken now.

    Returns the report and whether it is new: a period that has a report already (draft or
    filed) opens that one.
    """
    today = today or timezone.localdate()
    if kind not in ReportKind.values:
        message = _("Choose the kind of report.")
        raise Invalid(message, fields={"kind": message})
    check_generate(actor, kind)
    period = read_period(kind, start, end, today)
    node = actor.jurisdiction
    lookup = {"kind": kind, "jurisdiction": node, "start": period.start, "end": period.end}
    existing = Report.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    figures = build_snapshot(actor, period, today)
    now = timezone.now()
    try:
        with transaction.atomic():
            report = Report.objects.create(
                **lookup, due_date=scheduled_due_date(kind, period), figures=figures,
                figures_at=now, figures_by=actor, created_by=actor, created_at=now,
            )  # fmt: skip
            record(
                "reports.report.generated", report, actor=actor,
                changes={"kind": kind, "start": period.start, "end": period.end,
                         "due_date": report.due_date},
            )  # fmt: skip
    except IntegrityError:
        # Someone generated the same period a moment ago: theirs is the report.
        return Report.objects.get(**lookup), False
    return report, True


# --- while a draft ---------------------------------------------------------------------------


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("jurisdiction").get(pk=report.pk)


def _check_draft(report: Report) -> None:
    if report.is_filed:
        raise WorkflowError(
            _(
                "This report was filed by %(name)s on %(date)s: it is on record and no longer "
                "changes."
            )
            % {
                "name": report.filed_by,
                "date": timezone.localtime(report.filed_at).strftime("%Y-%m-%d %H:%M"),
            }
        )


def _check_edit(report: Report, actor: Any) -> None:
    _check_draft(report)
    if not rules.may_edit(actor, report):
        raise NotAllowed(_("You may not change this report."))


@transaction.atomic
def save_narrative(report: Report, *, actor: Any, **texts: str) -> Report:
    """The narrative sections (概况, 主要问题和热点, 采取的措施, 下步工作) of a draft."""
    report = _locked(report)
    _check_edit(report, actor)
    before = snapshot(report, NARRATIVE_FIELDS)
    for name in NARRATIVE_FIELDS:
        setattr(report, name, texts.get(name, "").strip())
    changes = diff(before, snapshot(report, NARRATIVE_FIELDS))
    if changes:
        report.save(update_fields=list(changes))
        record("reports.report.narrative_saved", report, actor=actor, changes=changes)
    return report


@transaction.atomic
def regenerate_figures(report: Report, *, actor: Any, today: date | None = None) -> Report:
    """Take the figures of a draft again, as they stand now, seen from the report's node."""
    report = _locked(report)
    _check_edit(report, actor)
    today = today or timezone.localdate()
    viewer = seen_from(actor, report.jurisdiction)
    report.figures = build_snapshot(viewer, report.period, today)
    report.figures_at, report.figures_by = timezone.now(), actor
    report.save(update_fields=["figures", "figures_at", "figures_by"])
    record("reports.report.regenerated", report, actor=actor, changes={"as_of": today})
    return report


# --- filing --------------------------------------------------------------------------------


def _filename(report: Report, ext: str) -> str:
    code = report.jurisdiction.code
    return f"report-{report.kind}-{code}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{ext}"


@transaction.atomic
def file_report(report: Report, *, actor: Any) -> Report:
    """报送: write the PDF and the workbook, record who filed it and when; frozen from now on.

    The documents are written in the center's language (``LANGUAGE_CODE``), whoever files.
    """
    report = _locked(report)
    _check_draft(report)
    if not rules.may_file(actor, report):
        raise NotAllowed(
            _(
                "Only the person responsible for this report, a director or an administrator "
                "files it."
            )
        )
    report.status, report.filed_by, report.filed_at = ReportStatus.FILED, actor, timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        pdf, xlsx = report_pdf(report, author=actor), report_xlsx(report)
    report.pdf.save(_filename(report, "pdf"), ContentFile(pdf), save=False)
    report.xlsx.save(_filename(report, "xlsx"), ContentFile(xlsx), save=False)
    report.save(update_fields=["status", "filed_by", "filed_at", "pdf", "xlsx"])
    record(
        "reports.report.filed", report, actor=actor,
        changes={"pdf_sha256": hashlib.sha256(pdf).hexdigest(),
                 "xlsx_sha256": hashlib.sha256(xlsx).hexdigest()},
    )  # fmt: skip
    return report


# --- who is responsible --------------------------------------------------------------------


def set_responsible(
    *, actor: Any, jurisdiction: Jurisdiction | None, kind: str, person: User | None
) -> ResponsiblePerson | None:
    """Name who is responsible for a node's reports of ``kind``; no one: its directors again."""
    if not rules.may_assign(actor):
        raise NotAllowed(_("Only a director or an administrator sets who is responsible."))
    errors = {}
    nodes = rules.assignable_nodes(actor)
    if jurisdiction is None or not nodes.filter(pk=jurisdiction.pk).exists():
        errors["jurisdiction"] = _("Choose a jurisdiction of yours.")
    if kind not in ReportKind.values:
        errors["kind"] = _("Choose the kind of report.")
    if person is not None and jurisdiction is not None:
        if not rules.person_choices(actor).filter(pk=person.pk, jurisdiction=jurisdiction).exists():
            errors["person"] = _(
                "%(name)s is not placed at %(place)s, or is a handling unit's account: choose "
                "someone who works there and sees all of its cases."
            ) % {"name": person, "place": jurisdiction}
    if errors:
        raise Invalid(next(iter(errors.values())), fields=errors)
    with transaction.atomic():
        current = (
            ResponsiblePerson.objects.select_for_update()
            .filter(jurisdiction=jurisdiction, kind=kind)
            .first()
        )
        before = current.user_id if current else None
        if person is None:
            if current is not None:
                current.delete()
            row = None
        else:
            row, _created = ResponsiblePerson.objects.update_or_create(
                jurisdiction=jurisdiction, kind=kind,
                defaults={"user": person, "set_by": actor, "set_at": timezone.now()},
            )  # fmt: skip
        after = person.pk if person else None
        if before != after:
            record(
                "reports.responsible.set", actor=actor, object_type="reports.responsibleperson",
                object_id=f"{jurisdiction.pk}:{kind}", object_repr=f"{jurisdiction} {kind}",
                changes={"user": [before, after]}, path=jurisdiction.path,
            )  # fmt: skip
    return row
