"""The case lifecycle (登记 → 交办 → 承办 → 督办 → 销案 → 回访 → 归档), in one module.

``TRANSITIONS`` says, for every action, from which states it may be taken and who may take
it. Each action is one function: it checks the role and the state (raising a translated
``WorkflowError`` that says why), claims the case with one conditional UPDATE on its
version (so of two directors routing at once exactly one wins), writes the timeline entry
and the audit event, and notifies after commit. Pages, the API and commands call only these.
"""

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yimen.audit.services import record
from yimen.notices.models import NoticeKind
from yimen.notices.services import notify, notify_unit
from yimen.org.models import Role, Unit, User
from yimen.org.roster import urgent_recipients
from yimen.org.scoping import path_and_ancestors
from yimen.search import index as search_index
from yimen.triage.services import record_choice, record_suggestion
from yimen.workdays.services import load_calendar

from .deadlines import due_date
from .models import (
    AssignmentSlip,
    Attachment,
    AttachmentKind,
    Case,
    CaseEvent,
    Category,
    Channel,
    Complexity,
    Counter,
    ExtensionRequest,
    ExtensionStatus,
    FollowUp,
    Party,
    PartyRole,
    Satisfaction,
    Stage,
    Status,
)
from .routing import suggest_unit

S = Status
HANDLING = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.EXTENDED, S.REOPENED})
ROUTABLE = frozenset({S.REGISTERED, S.RETURNED, S.ESCALATED})
OPEN = ROUTABLE | {S.ROUTED} | HANDLING

MAX_EXTENSION = timedelta(days=366)

ESCALATION_ATTACHMENTS = (
    AttachmentKind.ESCALATION_REQUEST,
    AttachmentKind.INVESTIGATION,
    AttachmentKind.UNRESOLVED_REASONS,
)


class WorkflowError(Exception):
    """An action refused; ``status`` and ``code`` are what the API answers with."""

    status = 409
    code = "invalid_state"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotAllowed(WorkflowError):
    status = 403
    code = "forbidden"


class Invalid(WorkflowError):
    status = 400
    code = "invalid"


class Conflict(WorkflowError):
    status = 409
    code = "conflict"


# --- who may act -------------------------------------------------------------------------


def _in_scope(user: Any, case: Case) -> bool:
    path = getattr(user, "visible_path", None)
    return bool(path) and case.jurisdiction.path.startswith(path)


def _role(*roles: str) -> Callable[[Any, Case], bool]:
    return lambda user, case: user.role in roles and _in_scope(user, case)


def _lead_unit(user: Any, case: Case) -> bool:
    return bool(user.unit_id) and user.unit_id == case.lead_unit_id


def _any_handler(user: Any, case: Case) -> bool:
    return _lead_unit(user, case) or (
        bool(user.unit_id) and case.co_units.filter(pk=user.unit_id).exists()
    )


def _extension_decider(user: Any, case: Case) -> bool:
    """The supervising level decides; for a leader case only a leader above it (the top leader)."""
    if case.complexity == Complexity.LEADER:
        return user.role == Role.LEADER and _in_scope(user, case) and user.pk != case.leader_id
    return user.role in (Role.DIRECTOR, Role.SUPERVISOR) and _in_scope(user, case)


_router = _role(Role.DIRECTOR)
_closer = _role(Role.DIRECTOR, Role.SUPERVISOR)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    may: Callable[[Any, Case], bool]
    label: Any  # a lazy translation: the action's name on buttons and in messages


TRANSITIONS: dict[str, Transition] = {
    "route": Transition(ROUTABLE, _router, gettext_lazy("Assign")),
    "accept": Transition(frozenset({S.ROUTED}), _lead_unit, gettext_lazy("Accept")),
    "return": Transition(frozenset({S.ROUTED}), _lead_unit, gettext_lazy("Return to the director")),
    "record_action": Transition(HANDLING, _any_handler, gettext_lazy("Record an action")),
    "request_extension": Transition(HANDLING, _lead_unit, gettext_lazy("Request an extension")),
    "decide_extension": Transition(
        HANDLING, _extension_decider, gettext_lazy("Decide on an extension")
    ),
    "submit_result": Transition(HANDLING, _lead_unit, gettext_lazy("Submit the result")),
    "escalate": Transition(
        HANDLING, lambda u, c: _lead_unit(u, c) or _router(u, c), gettext_lazy("Escalate")
    ),
    "transfer_out": Transition(
        OPEN, lambda u, c: _router(u, c) or _lead_unit(u, c), gettext_lazy("Transfer out")
    ),
    "close": Transition(frozenset({S.RESOLVED}), _closer, gettext_lazy("Close the case")),
    "follow_up": Transition(
        frozenset({S.CLOSED}),
        _role(Role.DESK, Role.DIRECTOR, Role.SUPERVISOR),
        gettext_lazy("Follow up"),
    ),
    "reopen": Transition(
        frozenset({S.RESOLVED, S.CLOSED}),
        _role(Role.SUPERVISOR, Role.DIRECTOR),
        gettext_lazy("Order re-handling"),
    ),
}

REGISTRAR_ROLES = (Role.DESK, Role.DIRECTOR, Role.GRID, Role.MEDIATOR, Role.SUPERVISOR)


def allowed_actions(user: Any, case: Case) -> list[str]:
    """The actions this user may take on this case now (what the case page offers)."""
    return [
        name
        for name, t in TRANSITIONS.items()
        if case.status in t.sources and user.is_authenticated and t.may(user, case)
    ]


def check_action(name: str, case: Case, actor: Any) -> None:
    """Raise what ``name`` would raise for this user and state, before any input is read."""
    _check(name, case, actor)


def _check(name: str, case: Case, actor: Any) -> None:
    transition = TRANSITIONS[name]
    if not (actor.is_authenticated and transition.may(actor, case)):
        raise NotAllowed(
            _("“%(action)s” is not open to your role or unit on this case.")
            % {"action": transition.label}
        )
    if case.status not in transition.sources:
        raise WorkflowError(
            _("This case is %(status)s: “%(action)s” is not possible now.")
            % {"status": Status(case.status).label, "action": transition.label}
        )


def _claim(case: Case, to_status: str | None = None, **fields: Any) -> None:
    """Change the case only if nobody changed it since it was read; else Conflict."""
    values = dict(fields, version=F("version") + 1, updated_at=timezone.now())
    if to_status is not None:
        values["status"] = to_status
    updated = Case.objects.filter(pk=case.pk, version=case.version, status=case.status).update(
        **values
    )
    if not updated:
        raise Conflict(
            _("Someone else changed this case a moment ago. Reload it to see what they did.")
        )
    case.refresh_from_db()


def _event(
    case: Case,
    action: str,
    actor: Any,
    *,
    from_status: str = "",
    note: str = "",
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        is_public=public,
        data=data or {},
    )
    changes = {"status": [from_status, case.status]} if from_status != case.status else {}
    changes.update({k: v for k, v in (data or {}).items()})
    record(f"cases.case.{action}", case, actor=actor, changes=changes)
    return event


def record_case_event(
    case: Case,
    action: str,
    actor: Any,
    *,
    note: str = "",
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """A timeline entry and its audit event for a step another app takes about a case.

    For steps that leave the case's state alone (a reminder slip, named supervision): the
    status and version do not change, so nobody's open case page goes stale because of it.
    """
    return _event(case, action, actor, from_status=case.status, note=note, public=public, data=data)


def _today() -> date:
    return timezone.localdate()


# --- numbers and codes -----------------------------------------------------------------


def next_number(prefix: str, year: int) -> str:
    """``YM-2026-000123``: per-year sequence, safe under concurrent registrations."""
    with transaction.atomic():
        Counter.objects.get_or_create(name=prefix, year=year)
        Counter.objects.filter(name=prefix, year=year).update(value=F("value") + 1)
        value = Counter.objects.get(name=prefix, year=year).value
    return f"{prefix}-{year}-{value:06d}"


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def new_tracking_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def tracking_hash(code: str) -> str:
    """Only a keyed hash is stored: a database leak does not give residents' codes away."""
    return salted_hmac("yimen.cases.tracking", code.strip().upper()).hexdigest()


# --- registration ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewParty:
    name: str
    role: str
    phone: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class NewAttachment:
    file: Any  # an UploadedFile already checked by ``attachments.check_upload``
    kind: str = AttachmentKind.GENERAL


@dataclass(frozen=True)
class Registered:
    case: Case
    tracking_code: str  # shown once, on the receipt slip


def register_case(
    *,
    actor: Any,
    title: str,
    description: str,
    category: Category,
    channel: str,
    jurisdiction: Any,
    parties: Sequence[NewParty] = (),
    attachments: Sequence[NewAttachment] = (),
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    is_urgent: bool = False,
    about_staff: User | None = None,
    about_unit: Unit | None = None,
    settle_on_the_spot: bool = False,
    result: str = "",
) -> Registered:
    """登记: register a matter and give the resident a receipt number and tracking code.

    The one who registers is its first receiver (首问负责) until a unit accepts it. A matter
    settled on the spot is registered and closed in one step, with its result.
    """
    if actor.role not in REGISTRAR_ROLES:
        raise NotAllowed(_("Your role may not register matters."))
    path = actor.visible_path
    if not path or not jurisdiction.path.startswith(path):
        raise Invalid(
            _("Choose a place inside your jurisdiction."), fields={"jurisdiction": _("Outside.")}
        )
    title = _required(title, "title", _("Give the matter a short title."))
    description = _required(description, "description", _("Give an account of the matter."))
    if channel not in Channel.values:
        raise Invalid(_("Choose the channel."), fields={"channel": _("Unknown.")})
    if not category.is_active:
        raise Invalid(_("This category is no longer used."), fields={"category": _("Inactive.")})
    if any(not p.name.strip() or p.role not in PartyRole.values for p in parties):
        message = _("Every party needs a name and a role.")
        raise Invalid(message, fields={"parties": message})
    if category.is_staff_complaint and not (about_staff or about_unit):
        message = _("A complaint about staff must name the staff member or the unit.")
        raise Invalid(message, fields={"about_unit": message})
    if settle_on_the_spot and not result.strip():
        message = _("Describe how the matter was settled on the spot.")
        raise Invalid(message, fields={"result": message})
    if not any(p.role == "applicant" for p in parties) and actor.role != Role.GRID:
        message = _("Name at least one applicant (the person bringing the matter).")
        raise Invalid(message, fields={"parties": message})

    return _create_case(
        actor=actor,
        title=title,
        description=description,
        category=category,
        channel=channel,
        jurisdiction=jurisdiction,
        parties=parties,
        attachments=attachments,
        address=address,
        latitude=latitude,
        longitude=longitude,
        is_urgent=is_urgent,
        about_staff=about_staff,
        about_unit=about_unit,
        settle_on_the_spot=settle_on_the_spot,
        result=result,
    )


def submit_online(
    *,
    title: str,
    description: str,
    category: Category,
    jurisdiction: Any,
    phone: str,
    name: str = "",
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    attachments: Sequence[NewAttachment] = (),
    source: str = "portal",
    about_unit: Unit | None = None,
) -> Registered:
    """A resident's own submission (the portal, Open311): an online case with no staff receiver.

    It waits in the routing queue like any other; whoever at the center takes it up becomes
    its first receiver. The phone is required so the center can call back; the name may be
    left out. A complaint about staff names the unit it is about (``about_unit``), so it is
    never routed to them (recusal).
    """
    fields: dict[str, str] = {}
    if not title or not title.strip():
        fields["title"] = _("Give the matter a short title.")
    if not description or not description.strip():
        fields["description"] = _("Give an account of the matter.")
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not 7 <= len(digits) <= 20:
        fields["phone"] = _("Enter a phone number the center can call back.")
    if jurisdiction is None:
        fields["jurisdiction"] = _("Choose where the matter is, inside the center's area.")
    if not category.is_active:
        fields["category"] = _("This category is no longer used.")
    if fields:
        raise Invalid(next(iter(fields.values())), fields=fields)
    applicant = NewParty(name.strip() or _("Resident (online)"), PartyRole.APPLICANT, phone)
    return _create_case(
        actor=None,
        title=title,
        description=description,
        category=category,
        channel=Channel.ONLINE,
        jurisdiction=jurisdiction,
        parties=[applicant],
        attachments=attachments,
        address=address,
        latitude=latitude,
        longitude=longitude,
        source=source,
        about_unit=about_unit,
    )


def _create_case(
    *,
    actor: Any,
    title: str,
    description: str,
    category: Category,
    channel: str,
    jurisdiction: Any,
    parties: Sequence[NewParty],
    attachments: Sequence[NewAttachment],
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    is_urgent: bool = False,
    about_staff: User | None = None,
    about_unit: Unit | None = None,
    settle_on_the_spot: bool = False,
    result: str = "",
    source: str = "",
) -> Registered:
    """Write a checked matter, its parties and files, in one transaction."""
    now = timezone.now()
    code = new_tracking_code()
    with transaction.atomic(), search_index.once_per_case():
        case = Case.objects.create(
            receipt_number=next_number("YM", timezone.localtime(now).year),
            tracking_code_hash=tracking_hash(code),
            title=title.strip(),
            description=description.strip(),
            category=category,
            channel=channel,
            jurisdiction=jurisdiction,
            address=address,
            latitude=latitude,
            longitude=longitude,
            is_urgent=is_urgent,
            received_by=actor,
            received_at=now,
            about_staff=about_staff,
            about_unit=about_unit,
        )
        Party.objects.bulk_create(
            Party(
                case=case,
                name=p.name.strip(),
                role=p.role,
                phone=p.phone.strip(),
                id_number=p.id_number.strip().upper(),
            )
            for p in parties
        )
        for item in attachments:
            _store_attachment(case, item, actor)
        data = {"channel": channel, **({"source": source} if source else {})}
        _event(case, "registered", actor, public=True, data=data)
        record_suggestion(case)
        if settle_on_the_spot:
            _claim(
                case,
                S.CLOSED,
                on_the_spot=True,
                result=result.strip(),
                resolved_at=now,
                closed_at=now,
            )
            _event(
                case,
                "closed_on_the_spot",
                actor,
                from_status=S.REGISTERED,
                note=result.strip(),
                public=True,
            )
        if is_urgent:
            transaction.on_commit(lambda: _notify_urgent(case))
    return Registered(case, code)


def _store_attachment(case: Case, item: NewAttachment, actor: Any) -> Attachment:
    upload = item.file
    return Attachment.objects.create(
        case=case,
        kind=item.kind,
        file=upload,
        original_name=upload.name[:200],
        content_type=getattr(upload, "content_type", "") or "",
        size=upload.size,
        uploaded_by=actor,
    )


def may_attach(actor: Any, case: Case) -> bool:
    """Anyone who may act on the case now, or its first receiver (首问负责)."""
    return bool(allowed_actions(actor, case)) or case.received_by_id == actor.pk


def add_attachments(case: Case, items: Iterable[NewAttachment], *, actor: Any) -> list[Attachment]:
    """Attach material to a case (see ``may_attach``); returns the stored attachments."""
    if not may_attach(actor, case):
        raise NotAllowed(_("You may not add material to this case."))
    with transaction.atomic():
        stored = [_store_attachment(case, item, actor) for item in items]
        names = [item.original_name for item in stored]
        _event(
            case,
            "attached",
            actor,
            from_status=case.status,
            note=", ".join(names),
            data={"files": names},
        )
    return stored


@transaction.atomic
def add_public_note(
    case: Case, *, source: str, text: str, data: dict[str, Any] | None = None
) -> CaseEvent:
    """A note from the resident's side (an Open311 client) on the timeline staff and resident see.

    It changes no state, so it does not take the case's version: a director or unit acting
    at the same moment is not refused because a resident wrote in.
    """
    text = _required(text, "text", _("Write the note."))
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    return _event(
        case,
        "public_note",
        None,
        from_status=case.status,
        note=text,
        public=True,
        data={"source": source, **(data or {})},
    )


def staff_above(case: Case, *roles: str) -> Any:
    """Active staff in these roles placed at the case's place or above it.

    Never the staff member a complaint is about (recusal).
    """
    return User.objects.filter(
        is_active=True,
        role__in=roles,
        jurisdiction__path__in=path_and_ancestors(case.jurisdiction.path),
    ).exclude(pk=case.about_staff_id or 0)


def _notify_urgent(case: Case) -> None:
    """A major matter reaches the staff on duty and the directors above it at once (the
    leaders above it when nobody is rostered): ``yimen.org.roster.urgent_recipients``."""
    notify(
        urgent_recipients(case.jurisdiction, exclude=case.about_staff_id),
        kind=NoticeKind.URGENT,
        case=case,
        message=_("Urgent matter %(number)s: %(title)s")
        % {"number": case.receipt_number, "title": case.title},
    )


def may_flag_urgent(user: Any, case: Case) -> bool:
    """Whoever handles the case, and the director or supervisor above it."""
    if case.status not in OPEN | {S.RESOLVED} or not user.is_authenticated:
        return False
    return _any_handler(user, case) or _role(Role.DIRECTOR, Role.SUPERVISOR)(user, case)


@transaction.atomic
def flag_urgent(case: Case, *, actor: Any, reason: str) -> CaseEvent:
    """Mark a matter major / urgent (e.g. a risk of violence) and notify at once.

    Each report notifies again, even on a case already marked: a new risk is news.
    """
    if not may_flag_urgent(actor, case):
        raise NotAllowed(_("You may not report this case as urgent."))
    reason = _required(reason, "reason", _("Say what makes the matter urgent."))
    _claim(case, is_urgent=True)
    event = _event(case, "flagged_urgent", actor, from_status=case.status, note=reason)
    transaction.on_commit(lambda: _notify_urgent(case))
    return event


# --- routing -----------------------------------------------------------------------------


def suggestion_for(case: Case):
    stage = Stage.ESCALATED if case.escalation_level else Stage.INITIAL
    return suggest_unit(case.jurisdiction, case.category, stage)


def _check_recusal(case: Case, units: Iterable[Unit], actor: Any) -> None:
    for unit in units:
        named_unit = case.about_unit_id and unit.pk == case.about_unit_id
        named_staff_unit = case.about_staff_id and unit.pk == case.about_staff.unit_id
        if named_unit or named_staff_unit:
            record("cases.case.recusal_refused", case, actor=actor, changes={"unit": unit.pk})
            raise Invalid(
                _("This is a complaint about %(unit)s: it cannot be handled by them (recusal).")
                % {"unit": unit.name},
                fields={"unit": _("Recusal: choose another unit.")},
            )


def route_case(
    case: Case,
    *,
    actor: Any,
    unit: Unit,
    complexity: str,
    co_units: Sequence[Unit] = (),
    leader: User | None = None,
    override_reason: str = "",
    instructions: str = "",
) -> AssignmentSlip:
    """交办: assign to a lead unit (and co-units), issue the slip, and start the deadline."""
    _check("route", case, actor)
    fields: dict[str, str] = {}
    suggestion = suggestion_for(case)
    if suggestion and suggestion.unit.pk != unit.pk and not override_reason.strip():
        fields["override_reason"] = _(
            "Give a reason for choosing another unit than the suggested %(unit)s."
        ) % {"unit": suggestion.unit.name}
    if complexity not in Complexity.values:
        fields["complexity"] = _("Choose how complex the matter is.")
    if complexity == Complexity.LEADER and (leader is None or leader.role != Role.LEADER):
        fields["leader"] = _("A leader case names its responsible leader.")
    if unit.pk in {u.pk for u in co_units}:
        fields["co_units"] = _("The lead unit cannot also be a co-unit.")
    for u in [unit, *co_units]:
        if (
            not u.is_active
            or not actor.visible_path
            or not u.jurisdiction.path.startswith(actor.visible_path)
        ):
            fields["unit"] = _("%(unit)s is not a unit you can assign to.") % {"unit": u.name}
    if fields:
        raise Invalid(next(iter(fields.values())), fields=fields)
    _check_recusal(case, [unit, *co_units], actor)

    today = _today()
    deadline = due_date(complexity, today, load_calendar(today))
    with transaction.atomic():
        before = case.status
        _claim(
            case,
            S.ROUTED,
            lead_unit=unit,
            complexity=complexity,
            leader=leader if complexity == Complexity.LEADER else None,
            assigned_on=today,
            deadline=deadline.date,
            deadline_provisional=deadline.provisional,
        )
        case.co_units.set(co_units)
        slip = AssignmentSlip.objects.create(
            case=case,
            number=next_number("JB", today.year),
            issued_at=timezone.now(),
            issued_by=actor,
            lead_unit=unit,
            co_unit_names=[u.name for u in co_units],
            complexity=complexity,
            deadline=deadline.date,
            deadline_provisional=deadline.provisional,
            instructions=instructions.strip(),
            suggested_unit=suggestion.unit if suggestion else None,
            override_reason=override_reason.strip(),
        )
        record_choice(case, unit=unit, actor=actor)
        _event(
            case,
            "routed",
            actor,
            from_status=before,
            public=True,
            note=instructions.strip(),
            data={
                "unit": unit.pk,
                "unit_name": unit.name,
                "co_units": [u.pk for u in co_units],
                "slip": slip.number,
                "deadline": deadline.date,
                "provisional": deadline.provisional,
                "override_reason": override_reason.strip(),
            },
        )
    transaction.on_commit(lambda: _notify_assigned(case, [unit, *co_units]))
    return slip


def _notify_assigned(case: Case, units: Sequence[Unit]) -> None:
    """The lead unit and each co-unit: their staff, and their webhooks (``notify_unit``)."""
    message = _("New assignment %(number)s: %(title)s") % {
        "number": case.receipt_number,
        "title": case.title,
    }
    for position, unit in enumerate(units):
        notify_unit(
            unit,
            kind=NoticeKind.ASSIGNED,
            case=case,
            message=message,
            payload={"role": "lead" if position == 0 else "co"},
        )


# --- handling ----------------------------------------------------------------------------


def _required(value: str, field: str, message: str) -> str:
    if not value or not value.strip():
        raise Invalid(message, fields={field: message})
    return value.strip()


@transaction.atomic
def accept_case(case: Case, *, actor: Any) -> None:
    """承办: the lead unit takes the matter on; it is now theirs to handle."""
    _check("accept", case, actor)
    before = case.status
    _claim(case, S.ACCEPTED)
    _event(
        case,
        "accepted",
        actor,
        from_status=before,
        public=True,
        data={"unit": case.lead_unit_id, "unit_name": case.lead_unit.name},
    )


@transaction.atomic
def return_case(case: Case, *, actor: Any, reason: str) -> None:
    """The unit sends the matter back to the director, saying why (not theirs, wrong place…)."""
    _check("return", case, actor)
    reason = _required(reason, "reason", _("Say why the case is returned."))
    before, unit = case.status, case.lead_unit
    _claim(case, S.RETURNED, lead_unit=None, deadline=None, deadline_provisional=False)
    case.co_units.clear()
    _event(case, "returned", actor, from_status=before, note=reason, data={"unit": unit.pk})


ACTION_KINDS = {
    "visit": gettext_lazy("Visit"),
    "call": gettext_lazy("Phone call"),
    "meeting": gettext_lazy("Meeting"),
    "document": gettext_lazy("Document"),
    "other": gettext_lazy("Other"),
}


@transaction.atomic
def record_action(
    case: Case, *, actor: Any, kind: str, note: str, public: bool = False
) -> CaseEvent:
    """An action taken while handling (visit, call, meeting, document) goes on the timeline."""
    _check("record_action", case, actor)
    if kind not in ACTION_KINDS:
        raise Invalid(_("Choose what kind of action this was."), fields={"kind": _("Unknown.")})
    note = _required(note, "note", _("Describe what was done."))
    before = case.status
    _claim(case, S.IN_PROGRESS if before == S.ACCEPTED else None)
    return _event(
        case, "action", actor, from_status=before, note=note, public=public, data={"kind": kind}
    )


@transaction.atomic
def request_extension(
    case: Case, *, actor: Any, reason: str, new_deadline: date
) -> ExtensionRequest:
    """延期申请: a reason and a new date, for the supervising level to decide."""
    _check("request_extension", case, actor)
    reason = _required(reason, "reason", _("Give the reason for the extension."))
    if case.deadline and new_deadline <= case.deadline:
        message = _("The new date must be after the current deadline (%(date)s).") % {
            "date": case.deadline
        }
        raise Invalid(message, fields={"new_deadline": message})
    if new_deadline > (case.deadline or _today()) + MAX_EXTENSION:
        # A matter is handled in weeks; a date years away is a typing slip, not a plan.
        message = _("An extension may move the deadline by at most a year.")
        raise Invalid(message, fields={"new_deadline": message})
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise WorkflowError(_("An extension request for this case is already waiting."))
    _claim(case)
    request = ExtensionRequest.objects.create(
        case=case,
        requested_by=actor,
        requested_at=timezone.now(),
        reason=reason,
        new_deadline=new_deadline,
    )
    _event(
        case,
        "extension_requested",
        actor,
        from_status=case.status,
        note=reason,
        data={"new_deadline": new_deadline, "request": request.pk},
    )
    return request


@transaction.atomic
def decide_extension(
    request: ExtensionRequest, *, actor: Any, approve: bool, note: str = ""
) -> None:
    """Approve (the deadline moves) or refuse an extension request."""
    case = request.case
    _check("decide_extension", case, actor)
    if request.status != ExtensionStatus.PENDING:
        raise WorkflowError(_("This extension request was already decided."))
    if not approve:
        note = _required(note, "note", _("Say why the extension is refused."))
    before, old_deadline = case.status, case.deadline
    if approve:
        _claim(case, S.EXTENDED, deadline=request.new_deadline, deadline_provisional=False)
    else:
        _claim(case)
    updated = ExtensionRequest.objects.filter(pk=request.pk, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note.strip(),
    )
    if not updated:
        raise Conflict(_("Someone else decided this request a moment ago."))
    action = "extension_approved" if approve else "extension_refused"
    data = {"request": request.pk}
    if approve:
        data["deadline"] = [old_deadline, request.new_deadline]
    _event(case, action, actor, from_status=before, note=note.strip(), data=data, public=approve)
    request.refresh_from_db()


@transaction.atomic
def submit_result(case: Case, *, actor: Any, result: str) -> None:
    """The unit reports the outcome; the director or supervisor then closes it."""
    _check("submit_result", case, actor)
    result = _required(result, "result", _("Describe the result."))
    before = case.status
    _claim(case, S.RESOLVED, result=result, resolved_at=timezone.now())
    _event(case, "resolved", actor, from_status=before, note=result, public=True)


def escalate_case(case: Case, *, actor: Any, reason: str) -> None:
    """Up to the next level, with the three attachments the regulations require.

    The party's request to escalate, the committee's investigation material and opinion,
    and the facts and reasons it could not be resolved here (DESIGN.md §3).
    """
    _check("escalate", case, actor)
    present = set(case.attachments.values_list("kind", flat=True))
    missing = [AttachmentKind(k).label for k in ESCALATION_ATTACHMENTS if k not in present]
    if missing:
        raise Invalid(
            _("Escalation needs these attachments first: %(missing)s.")
            % {"missing": "；".join(str(m) for m in missing)},
            fields={"attachments": _("Missing: %(m)s") % {"m": "；".join(map(str, missing))}},
        )
    reason = _required(reason, "reason", _("Say why the matter goes to the higher level."))
    with transaction.atomic():
        before, unit = case.status, case.lead_unit
        _claim(
            case,
            S.ESCALATED,
            escalation_level=case.escalation_level + 1,
            lead_unit=None,
            deadline=None,
            deadline_provisional=False,
        )
        case.co_units.clear()
        _event(
            case,
            "escalated",
            actor,
            from_status=before,
            note=reason,
            public=True,
            data={"from_unit": unit.pk if unit else None, "level": case.escalation_level},
        )


@transaction.atomic
def transfer_out(case: Case, *, actor: Any, to_body: str, note_for_resident: str) -> None:
    """Outside this jurisdiction's powers: the resident is told where the matter went."""
    _check("transfer_out", case, actor)
    to_body = _required(to_body, "to_body", _("Name the body the matter is transferred to."))
    note = _required(
        note_for_resident, "note_for_resident", _("Tell the resident where to follow it up.")
    )
    before = case.status
    _claim(case, S.TRANSFERRED_OUT, transferred_to=to_body[:100], closed_at=timezone.now())
    _event(
        case,
        "transferred_out",
        actor,
        from_status=before,
        note=note,
        public=True,
        data={"to": to_body},
    )


# --- closing, follow-up, reopening ------------------------------------------------------


@transaction.atomic
def close_case(case: Case, *, actor: Any, note: str = "") -> None:
    """销案: the director or supervisor accepts the unit's result."""
    _check("close", case, actor)
    before = case.status
    _claim(case, S.CLOSED, closed_at=timezone.now())
    _event(case, "closed", actor, from_status=before, note=note.strip(), public=True)


def _reopen(case: Case, actor: Any, action: str, note: str) -> None:
    """Back to the unit with a fresh deadline counted from today."""
    today = _today()
    complexity = case.complexity or Complexity.GENERAL
    deadline = due_date(complexity, today, load_calendar(today))
    before = case.status
    _claim(
        case,
        S.REOPENED,
        deadline=deadline.date,
        deadline_provisional=deadline.provisional,
        assigned_on=today,
        resolved_at=None,
        closed_at=None,
    )
    _event(
        case,
        action,
        actor,
        from_status=before,
        note=note,
        public=True,
        data={"deadline": deadline.date, "provisional": deadline.provisional},
    )


@transaction.atomic
def follow_up(
    case: Case,
    *,
    actor: Any,
    satisfaction: str,
    comment: str = "",
    reopen: bool = False,
    close_reason: str = "",
) -> FollowUp:
    """回访: the resident's satisfaction; dissatisfied reopens, or stays closed with a reason."""
    _check("follow_up", case, actor)
    if satisfaction not in Satisfaction.values:
        raise Invalid(_("Choose the resident's satisfaction."), fields={"satisfaction": "?"})
    dissatisfied = satisfaction == Satisfaction.DISSATISFIED
    if dissatisfied and not reopen:
        close_reason = _required(
            close_reason,
            "close_reason",
            _("Say why the case stays closed although the resident is dissatisfied."),
        )
    if reopen and not dissatisfied:
        raise Invalid(
            _("Only a dissatisfied follow-up reopens the case."),
            fields={"reopen": _("Only when dissatisfied.")},
        )
    if reopen and not case.lead_unit_id:
        raise WorkflowError(_("This case has no handling unit to reopen it for."))
    item = FollowUp.objects.create(
        case=case,
        by=actor,
        at=timezone.now(),
        satisfaction=satisfaction,
        comment=comment.strip(),
        reopened=reopen,
        close_reason=close_reason.strip(),
    )
    if reopen:
        _reopen(case, actor, "reopened_after_follow_up", comment.strip())
    else:
        _claim(case)
        _event(
            case,
            "followed_up",
            actor,
            from_status=case.status,
            note=comment.strip(),
            data={"satisfaction": satisfaction, "close_reason": close_reason.strip()},
        )
    return item


@transaction.atomic
def reopen_case(case: Case, *, actor: Any, reason: str) -> None:
    """Re-handling ordered by the supervisor: the result falls short."""
    _check("reopen", case, actor)
    if not case.lead_unit_id:
        raise WorkflowError(_("This case has no handling unit to reopen it for."))
    reason = _required(reason, "reason", _("Say why the case must be handled again."))
    _reopen(case, actor, "reopened", reason)
    message = _("Re-handling ordered for %(number)s, now due %(date)s: %(reason)s") % {
        "number": case.receipt_number,
        "date": case.deadline.isoformat(),
        "reason": reason,
    }
    unit = case.lead_unit
    transaction.on_commit(
        lambda: notify_unit(unit, kind=NoticeKind.REOPENED, case=case, message=message)
    )


# --- the resident's own steps (tracking page) -----------------------------------------------
# No staff account takes these: the caller has checked the receipt number and tracking code.

RATEABLE = frozenset({S.RESOLVED, S.CLOSED})


def resident_rating(case: Case) -> FollowUp | None:
    """The resident's rating of the case's current result, if they gave one."""
    ratings = case.follow_ups.filter(by_resident=True)
    if case.resolved_at is not None:
        ratings = ratings.filter(at__gte=case.resolved_at)
    return ratings.last()


def may_rate(case: Case) -> bool:
    return case.status in RATEABLE and resident_rating(case) is None


def may_request_rehandling(case: Case) -> bool:
    return case.status in RATEABLE and not rehandling_requested(case)


def rehandling_requested(case: Case) -> bool:
    return case.events.filter(action="rehandling_requested").exists()


@transaction.atomic
def rate_by_resident(case: Case, satisfaction: str, comment: str = "") -> FollowUp:
    """回访 by the resident: their satisfaction with the result, once per result.

    It is recorded and counted (follow-ups, satisfaction rate, staff accountability), never
    acted on: asking for re-handling is its own step. Who may see the case does not change.
    """
    if case.status not in RATEABLE:
        raise WorkflowError(_("The matter can be rated once it has a result."))
    if satisfaction not in Satisfaction.values:
        message = _("Choose how satisfied you are.")
        raise Invalid(message, fields={"satisfaction": message})
    if resident_rating(case) is not None:
        raise WorkflowError(_("You have already rated this result. Thank you."))
    _claim(case)  # of two ratings posted at once, exactly one is kept
    item = FollowUp.objects.create(
        case=case,
        by=None,
        by_resident=True,
        at=timezone.now(),
        satisfaction=satisfaction,
        comment=comment.strip(),
    )
    _event(
        case,
        "rated_by_resident",
        None,
        from_status=case.status,
        note=comment.strip(),
        public=True,
        data={"satisfaction": satisfaction},
    )
    return item


@transaction.atomic
def request_rehandling_by_resident(case: Case, reason: str = "") -> None:
    """The resident rejects the result and asks for the matter to be handled again.

    Their right (DESIGN.md §1): refused only when already asked once for this case, never
    counted against them. With a handling unit the case goes back to it with a fresh
    deadline, like re-handling a supervisor orders; a matter settled on the spot, which has
    no unit, goes back to the director's routing queue instead of to nobody.
    """
    if case.status not in RATEABLE:
        raise WorkflowError(_("Re-handling can be asked for once the matter has a result."))
    if rehandling_requested(case):
        raise WorkflowError(
            _("Re-handling was already requested for this matter; the center will contact you.")
        )
    note = reason.strip()
    if case.lead_unit_id:
        _reopen(case, None, "rehandling_requested", note)
    else:
        before = case.status
        _claim(case, S.REGISTERED, resolved_at=None, closed_at=None)
        _event(case, "rehandling_requested", None, from_status=before, note=note, public=True)
    recipients = [
        *User.objects.filter(unit_id=case.lead_unit_id, is_active=True).exclude(
            pk=case.about_staff_id or 0
        ),
        *staff_above(case, Role.DIRECTOR),
    ]
    message = _("The resident asked for re-handling of %(number)s: %(title)s") % {
        "number": case.receipt_number,
        "title": case.title,
    }
    transaction.on_commit(lambda: notify(recipients, kind="reopened", case=case, message=message))


def reopen_after_broken_agreement(case: Case, *, actor: Any, reason: str) -> None:
    """A follow-up visit found a mediation agreement broken: the committee handles it again.

    Open to the committee that handled it (the lead unit) and to the director or supervisor;
    from a resolved or closed case, like re-handling.
    """
    if not (_lead_unit(actor, case) or _role(Role.DIRECTOR, Role.SUPERVISOR)(actor, case)):
        raise NotAllowed(_("You may not reopen this case."))
    if case.status not in (S.RESOLVED, S.CLOSED):
        raise WorkflowError(
            _("This case is %(status)s: it cannot be reopened from here.")
            % {"status": Status(case.status).label}
        )
    reason = _required(reason, "reason", _("Say how the agreement was broken."))
    with transaction.atomic():
        _reopen(case, actor, "reopened_agreement_broken", reason)


def recompute_provisional_deadlines(year: int) -> int:
    """Count provisional deadlines again once ``year``'s holiday schedule is loaded.

    A deadline counted weekends-only across an unpublished year was marked provisional; when
    the schedule arrives it is counted properly from the same assignment date, and the change
    goes on the timeline. Deadlines that were never provisional stand as the slip gave them.
    """
    changed = 0
    cases = Case.objects.filter(
        deadline_provisional=True,
        status__in=OPEN,
        assigned_on__year__lte=year,
        deadline__year__gte=year,
    ).exclude(complexity="")
    for case in cases.select_related("jurisdiction"):
        deadline = due_date(case.complexity, case.assigned_on, load_calendar(case.assigned_on))
        with transaction.atomic():
            old = case.deadline
            try:
                _claim(case, deadline=deadline.date, deadline_provisional=deadline.provisional)
            except Conflict:
                continue  # changed meanwhile; the next schedule change will pick it up
            _event(
                case,
                "deadline_recomputed",
                None,
                from_status=case.status,
                public=True,
                data={"deadline": [old, deadline.date], "provisional": deadline.provisional},
            )
        changed += 1
    return changed


@transaction.atomic
def archive_closed(now: datetime | None = None) -> int:
    """归档: closed or transferred cases older than the retention setting.

    A system step of the sweep, not a user action: one UPDATE claims the cases, so running
    it twice archives nothing twice. Archived cases stay searchable.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.YIMEN_ARCHIVE_AFTER_DAYS)
    due = Case.objects.filter(status__in=[S.CLOSED, S.TRANSFERRED_OUT], closed_at__lt=cutoff)
    # No ordering: the default one made PostgreSQL walk the whole received-at index.
    ids = list(due.order_by().values_list("pk", flat=True)[:10000])
    count = Case.objects.filter(pk__in=ids, status__in=[S.CLOSED, S.TRANSFERRED_OUT]).update(
        status=S.ARCHIVED, archived_at=now, version=F("version") + 1
    )
    if count:
        CaseEvent.objects.bulk_create(
            CaseEvent(case_id=pk, at=now, action="archived", to_status=S.ARCHIVED) for pk in ids
        )
        record("cases.case.archived", object_type="cases.case", changes={"cases": ids})
    return count
