"""The rules of supervision (督查督办), one function per step.

Reminder slips (催办单): the supervisor issues one for a case still being handled, a director
signs it, and only then does it reach the lead unit, whose reply is recorded against it.
Named supervision (挂牌督办): a director or supervisor lists a complex matter with a
responsible unit, a responsible leader and a deadline; the supervisor asks for progress
reports by a date, the unit submits them, and the listing is closed when it has served.

Each function checks the role, the scope (``Case.objects.for_user``, the one scoping rule)
and the state, and raises a translated ``WorkflowError`` saying why not; it then changes
what it must in one transaction, claiming a row with a conditional UPDATE where two people
could act at once, writes the case's timeline entry and audit event, and writes the
notifications (which leave by e-mail and webhook only after commit, see ``yimen.notices``).
"""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.cases.models import Case, Complexity, Status
from yimen.cases.workflow import (
    OPEN,
    Conflict,
    Invalid,
    NotAllowed,
    WorkflowError,
    next_number,
    record_case_event,
    staff_above,
)
from yimen.notices.services import notify, notify_unit
from yimen.org.models import Role, Unit, User

from .models import (
    NamedSupervision,
    ProgressReport,
    ProgressRequest,
    ReminderSlip,
    ReminderStatus,
)

# Named supervision is for complex matters (DESIGN.md §3).
LISTABLE = (Complexity.COMPLEX, Complexity.VERY_COMPLEX, Complexity.LEADER)
# A supervised case still reports progress while it is handled or waits to be closed.
REPORTING = OPEN | {Status.RESOLVED}
# Notification kinds (``yimen.notices.models.NoticeKind`` values, and one of our own).
REMINDER_SLIP = "reminder_slip"
REPORT_REQUESTED = "progress_report_requested"
NAMED_SUPERVISION = "named_supervision"


# --- who may act -------------------------------------------------------------------------


def _sees(user: Any, case: Case) -> bool:
    return bool(user.is_authenticated and Case.objects.for_user(user).filter(pk=case.pk).exists())


def _has_role(user: Any, *roles: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def may_issue_reminder(user: Any, case: Case) -> bool:
    return _has_role(user, Role.SUPERVISOR) and _sees(user, case)


def may_approve_reminder(user: Any, slip: ReminderSlip) -> bool:
    return _has_role(user, Role.DIRECTOR) and _sees(user, slip.case)


def may_reply_to_reminder(user: Any, slip: ReminderSlip) -> bool:
    return bool(user.is_authenticated and user.unit_id and user.unit_id == slip.unit_id)


def may_supervise(user: Any, case: Case) -> bool:
    """List for named supervision, ask for progress reports, close a listing."""
    return _has_role(user, Role.DIRECTOR, Role.SUPERVISOR) and _sees(user, case)


def may_report_progress(user: Any, supervision: NamedSupervision) -> bool:
    return bool(
        user.is_authenticated and user.unit_id and user.unit_id == supervision.responsible_unit_id
    )


def _required(value: str, field: str, message: str) -> str:
    if not value or not value.strip():
        raise Invalid(message, fields={field: message})
    return value.strip()


def _not_before_today(value: date | None, field: str, message: str) -> date:
    if value is None or value < timezone.localdate():
        raise Invalid(message, fields={field: message})
    return value


def _case_label(case: Case) -> dict[str, str]:
    return {"case": case.receipt_number, "title": case.title}


# --- reminder slips (催办单) ---------------------------------------------------------------


def check_issue_reminder(case: Case, actor: Any) -> None:
    """Raise what ``issue_reminder`` would, before anything is typed (the form page)."""
    if not may_issue_reminder(actor, case):
        raise NotAllowed(_("Only a supervisor of this case's jurisdiction issues reminder slips."))
    if case.status not in OPEN:
        raise WorkflowError(
            _("%(case)s is %(status)s: a reminder slip is only for a case still being handled.")
            % {"case": case.receipt_number, "status": Status(case.status).label}
        )
    if not case.lead_unit_id:
        raise WorkflowError(
            _("%(case)s has no handling unit yet: it must be assigned before a reminder.")
            % {"case": case.receipt_number}
        )


def issue_reminder(case: Case, *, actor: Any, text: str, reply_by: date | None) -> ReminderSlip:
    """The supervisor drafts a reminder slip; it goes to the directors for signature."""
    check_issue_reminder(case, actor)
    text = _required(text, "text", _("Write what the unit is reminded of."))
    reply_by = _not_before_today(reply_by, "reply_by", _("Choose a reply date from today on."))
    now = timezone.now()
    with transaction.atomic():
        slip = ReminderSlip.objects.create(
            number=next_number("CB", timezone.localtime(now).year),
            case=case,
            unit=case.lead_unit,
            issued_by=actor,
            issued_at=now,
            text=text,
            reply_by=reply_by,
        )
        record_case_event(
            case,
            "reminder_issued",
            actor,
            note=text,
            data={"slip": slip.number, "unit": slip.unit_id, "reply_by": reply_by},
        )
        notify(
            staff_above(case, Role.DIRECTOR),
            kind=REMINDER_SLIP,
            case=case,
            message=_("Reminder slip %(number)s on %(case)s awaits your signature.")
            % {"number": slip.number, **_case_label(case)},
        )
    return slip


def approve_reminder(slip: ReminderSlip, *, actor: Any) -> None:
    """A director signs the slip: from now on the unit has it and must reply."""
    case = slip.case
    if not may_approve_reminder(actor, slip):
        raise NotAllowed(
            _("Only a center director over this case signs reminder slips; it stays unsigned.")
        )
    if slip.status != ReminderStatus.DRAFT:
        raise WorkflowError(_("Reminder slip %(number)s is already signed.") % {"number": slip})
    if case.status not in OPEN:
        raise WorkflowError(
            _("%(case)s is %(status)s now: the reminder slip is no longer needed.")
            % {"case": case.receipt_number, "status": Status(case.status).label}
        )
    now = timezone.now()
    with transaction.atomic():
        claimed = ReminderSlip.objects.filter(pk=slip.pk, status=ReminderStatus.DRAFT).update(
            status=ReminderStatus.APPROVED, approved_by=actor, approved_at=now
        )
        if not claimed:
            raise Conflict(_("Someone else signed this slip a moment ago."))
        slip.refresh_from_db()
        record_case_event(
            case, "reminder_signed", actor, data={"slip": slip.number, "unit": slip.unit_id}
        )
        message = _("Reminder slip %(number)s on %(case)s: please reply by %(date)s.") % {
            "number": slip.number,
            "date": slip.reply_by.isoformat(),
            **_case_label(case),
        }
        notify_unit(
            slip.unit, kind=REMINDER_SLIP, message=message, case=case,
            payload={"slip": slip.number, "reply_by": slip.reply_by.isoformat()},
        )  # fmt: skip
        notify(
            [slip.issued_by],
            kind=REMINDER_SLIP,
            case=case,
            message=_("Reminder slip %(number)s was signed and sent to %(unit)s.")
            % {"number": slip.number, "unit": slip.unit.name},
        )


def reply_to_reminder(slip: ReminderSlip, *, actor: Any, reply: str) -> None:
    """The unit the slip was sent to answers it (once)."""
    if not may_reply_to_reminder(actor, slip):
        raise NotAllowed(
            _("Only the staff of %(unit)s, to which the slip was sent, reply to it.")
            % {"unit": slip.unit.name}
        )
    if slip.status == ReminderStatus.DRAFT:
        raise WorkflowError(_("This slip is not signed yet: there is nothing to reply to."))
    if slip.status == ReminderStatus.REPLIED:
        raise WorkflowError(
            _("Reminder slip %(number)s was already replied to.") % {"number": slip}
        )
    reply = _required(reply, "reply", _("Write the unit's reply."))
    now = timezone.now()
    with transaction.atomic():
        claimed = ReminderSlip.objects.filter(pk=slip.pk, status=ReminderStatus.APPROVED).update(
            status=ReminderStatus.REPLIED, reply=reply, replied_by=actor, replied_at=now
        )
        if not claimed:
            raise Conflict(_("Someone else replied to this slip a moment ago."))
        slip.refresh_from_db()
        record_case_event(
            slip.case, "reminder_replied", actor, note=reply, data={"slip": slip.number}
        )
        notify(
            [slip.issued_by, slip.approved_by],
            kind=REMINDER_SLIP,
            case=slip.case,
            message=_("%(unit)s replied to reminder slip %(number)s.")
            % {"unit": slip.unit.name, "number": slip.number},
        )


# --- named supervision (挂牌督办) -----------------------------------------------------------


def check_list_for_supervision(case: Case, actor: Any) -> None:
    """Raise what ``list_for_supervision`` would, before anything is typed (the form page)."""
    if not may_supervise(actor, case):
        raise NotAllowed(_("Only a director or supervisor of this case lists it for supervision."))
    if case.status not in OPEN:
        raise WorkflowError(
            _("%(case)s is %(status)s: only a case still being handled is listed.")
            % {"case": case.receipt_number, "status": Status(case.status).label}
        )
    if case.complexity not in LISTABLE:
        raise Invalid(
            _("Named supervision is for complex matters: assign %(case)s as complex first.")
            % {"case": case.receipt_number}
        )
    if case.supervisions.filter(closed_at__isnull=True).exists():
        raise WorkflowError(_("%(case)s is already under named supervision.") % _case_label(case))


def list_for_supervision(
    case: Case,
    *,
    actor: Any,
    unit: Unit | None,
    leader: User | None,
    deadline: date | None,
    reason: str,
) -> NamedSupervision:
    """挂牌督办: name the responsible unit and leader and the deadline of a complex matter."""
    check_list_for_supervision(case, actor)
    fields: dict[str, str] = {}
    handling = {case.lead_unit_id, *case.co_units.values_list("pk", flat=True)} - {None}
    if unit is None or unit.pk not in handling:
        fields["unit"] = _("Choose the lead unit or a co-handling unit of the case.")
    visible_leaders = User.objects.for_user(actor).filter(role=Role.LEADER, is_active=True)
    if leader is None or not visible_leaders.filter(pk=leader.pk).exists():
        fields["leader"] = _("Choose a responsible leader of your jurisdiction.")
    if deadline is None or deadline <= timezone.localdate():
        fields["deadline"] = _("Choose a deadline after today.")
    if not reason or not reason.strip():
        fields["reason"] = _("Say why the matter is listed for supervision.")
    if fields:
        raise Invalid(next(iter(fields.values())), fields=fields)
    try:
        with transaction.atomic():
            supervision = NamedSupervision.objects.create(
                case=case,
                responsible_unit=unit,
                responsible_leader=leader,
                deadline=deadline,
                reason=reason.strip(),
                listed_by=actor,
                listed_at=timezone.now(),
            )
            record_case_event(
                case,
                "listed_for_supervision",
                actor,
                note=reason.strip(),
                data={"unit": unit.pk, "leader": leader.pk, "deadline": deadline},
            )
            message = _("%(case)s is under named supervision, due %(date)s: %(title)s") % {
                "date": deadline.isoformat(),
                **_case_label(case),
            }
            notify_unit(unit, kind=NAMED_SUPERVISION, message=message, case=case)
            notify([leader], kind=NAMED_SUPERVISION, message=message, case=case)
    except IntegrityError as exc:  # listed by someone else meanwhile
        raise Conflict(_("Someone else listed this case a moment ago.")) from exc
    return supervision


def _check_supervisor(actor: Any, supervision: NamedSupervision) -> None:
    if not may_supervise(actor, supervision.case):
        raise NotAllowed(_("Only a director or supervisor of this case does that."))
    if not supervision.is_open:
        raise WorkflowError(_("This named supervision is closed."))


def request_progress_report(
    supervision: NamedSupervision, *, actor: Any, due_date: date | None, note: str = ""
) -> ProgressRequest:
    """The supervisor asks the responsible unit for a progress report by a date."""
    _check_supervisor(actor, supervision)
    case = supervision.case
    if case.status not in REPORTING:
        raise WorkflowError(
            _("%(case)s is %(status)s: there is no progress left to report.")
            % {"case": case.receipt_number, "status": Status(case.status).label}
        )
    due_date = _not_before_today(due_date, "due_date", _("Choose a date from today on."))
    pending = supervision.requests.filter(fulfilled_at__isnull=True).first()
    if pending is not None:
        raise WorkflowError(
            _("A progress report is already requested by %(date)s.")
            % {"date": pending.due_date.isoformat()}
        )
    with transaction.atomic():
        request = ProgressRequest.objects.create(
            supervision=supervision,
            requested_by=actor,
            requested_at=timezone.now(),
            due_date=due_date,
            note=note.strip(),
        )
        record_case_event(
            case,
            "progress_requested",
            actor,
            note=note.strip(),
            data={"supervision": supervision.pk, "due_date": due_date},
        )
        notify_unit(
            supervision.responsible_unit,
            kind=REPORT_REQUESTED,
            case=case,
            message=_("Progress report on %(case)s requested by %(date)s.")
            % {"date": due_date.isoformat(), **_case_label(case)},
            payload={"supervision": supervision.pk, "due_date": due_date.isoformat()},
        )
    return request


def submit_progress_report(
    supervision: NamedSupervision, *, actor: Any, text: str
) -> ProgressReport:
    """The responsible unit reports progress; it answers every request still waiting."""
    if not may_report_progress(actor, supervision):
        raise NotAllowed(
            _("Only the staff of %(unit)s, the responsible unit, report progress.")
            % {"unit": supervision.responsible_unit.name}
        )
    if not supervision.is_open:
        raise WorkflowError(_("This named supervision is closed."))
    text = _required(text, "text", _("Describe the progress."))
    now = timezone.now()
    with transaction.atomic():
        report = ProgressReport.objects.create(supervision=supervision, by=actor, at=now, text=text)
        answered = list(supervision.requests.filter(fulfilled_at__isnull=True))
        supervision.requests.filter(pk__in=[r.pk for r in answered]).update(
            fulfilled_at=now, report=report
        )
        case = supervision.case
        record_case_event(
            case,
            "progress_reported",
            actor,
            note=text,
            data={"supervision": supervision.pk, "requests": [r.pk for r in answered]},
        )
        notify(
            [supervision.listed_by, supervision.responsible_leader]
            + [r.requested_by for r in answered],
            kind=NAMED_SUPERVISION,
            case=case,
            message=_("%(unit)s reported progress on %(case)s.")
            % {"unit": supervision.responsible_unit.name, **_case_label(case)},
        )
    return report


def close_supervision(supervision: NamedSupervision, *, actor: Any, note: str = "") -> None:
    """The listing has served: it leaves the board; its reports stay on record."""
    _check_supervisor(actor, supervision)
    now = timezone.now()
    with transaction.atomic():
        claimed = NamedSupervision.objects.filter(pk=supervision.pk, closed_at__isnull=True).update(
            closed_at=now, closed_by=actor, close_note=note.strip()
        )
        if not claimed:
            raise Conflict(_("Someone else closed this listing a moment ago."))
        supervision.refresh_from_db()
        case = supervision.case
        record_case_event(
            case,
            "supervision_closed",
            actor,
            note=note.strip(),
            data={"supervision": supervision.pk},
        )
        message = _("Named supervision of %(case)s was closed.") % _case_label(case)
        notify_unit(
            supervision.responsible_unit, kind=NAMED_SUPERVISION, message=message, case=case
        )
        notify([supervision.responsible_leader], kind=NAMED_SUPERVISION, message=message, case=case)
