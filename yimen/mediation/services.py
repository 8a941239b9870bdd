"""People's mediation (人民调解): every rule, one function per step.

Each step checks the actor's role and scope and the state of the case and the mediation
(raising the case workflow's translated ``WorkflowError`` family, which pages and the API
already answer), locks the mediation row, changes it in one transaction, and writes a line on
the case's timeline with its audit event. Where the case itself moves — the committee accepts
it, reports the result, transfers it, is reopened — the move goes through
``yimen.cases.workflow``, never around it.

A mediation is opened by the committee, explicitly (``open_mediation``, the "open mediation"
button on the case page; a routed case is accepted in the same step). Accepting a case is the
unit taking responsibility; mediating is a further, deliberate step, and a case the committee
transfers at once (already in court, criminal) never counts as mediated in the reports.

Mediation is voluntary and never a precondition for court (DESIGN.md §1):
- no session before the applicant consents, and a party's refusal or withdrawal stops it;
- no session before the parties were told that mediation does not limit their right to sue;
- a mediation that fails, is refused or withdrawn from ends only with the path the parties
  chose (court, legal aid, labour arbitration, another body), and the case is transferred
  there with that right stated on the record.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yimen.audit.services import record
from yimen.cases import workflow
from yimen.cases.models import Case, Party, PartyRole, Status
from yimen.cases.workflow import Conflict, Invalid, NotAllowed, WorkflowError
from yimen.org.models import Role, Unit, UnitKind
from yimen.org.permissions import can_manage_org

from .models import (
    NEEDS_NEXT_PATH,
    AgreementDocument,
    AgreementStatus,
    CommitteeMember,
    Consent,
    ConsentRecord,
    FollowUpVisit,
    Gender,
    JudicialConfirmation,
    Mediation,
    MemberRole,
    NextPath,
    Outcome,
    Performed,
    Recusal,
    Session,
)

S = Status
MIN_MEMBERS, MAX_MEMBERS = 3, 9
# The parties may jointly apply for judicial confirmation within 30 days of the agreement
# taking effect (人民调解法 art. 33).
JUDICIAL_CONFIRMATION_DAYS = 30

RIGHT_TO_SUE = gettext_lazy(
    "Mediation is voluntary and is not a precondition for going to court: the parties keep "
    "their right to bring the dispute to the people's court."
)

OUTSIDE_REASONS = {
    "in_court": gettext_lazy("Already before a court or an arbitration body"),
    "criminal": gettext_lazy("A criminal or public-order matter"),
    "administrative": gettext_lazy("For an administrative authority to decide"),
    "other": gettext_lazy("Otherwise outside people's mediation"),
}


# --- committees ---------------------------------------------------------------------------


def composition_problems(members: Iterable[Any]) -> list[str]:
    """The composition rules a committee's roster breaks, each named; empty when it is valid.

    ``members`` are the members on the committee (active ones), each with ``role`` and
    ``gender``: 3 to 9 of them, an odd number, at least one woman, exactly one chair
    (人民调解法 art. 8).
    """
    members = list(members)
    count = len(members)
    problems = []
    if not MIN_MEMBERS <= count <= MAX_MEMBERS:
        problems.append(_("A committee has 3 to 9 members; this roster has %(n)d.") % {"n": count})
    if count % 2 == 0:
        problems.append(
            _("A committee has an odd number of members; this roster has %(n)d.") % {"n": count}
        )
    if not any(m.gender == Gender.FEMALE for m in members):
        problems.append(_("A committee has at least one woman member; this roster has none."))
    chairs = sum(1 for m in members if m.role == MemberRole.CHAIR)
    if chairs != 1:
        problems.append(
            _("A committee has exactly one chair; this roster has %(n)d.") % {"n": chairs}
        )
    return problems


def committees_for(user: Any) -> QuerySet[Unit]:
    return Unit.objects.for_user(user).filter(kind=UnitKind.MEDIATION)


def may_edit_roster(user: Any, committee: Unit) -> bool:
    """An administrator over the committee, or the committee's own chair."""
    if not committees_for(user).filter(pk=committee.pk).exists():
        return False
    if can_manage_org(user):
        return True
    return CommitteeMember.objects.filter(
        committee=committee, role=MemberRole.CHAIR, is_active=True, account=user
    ).exists()


@dataclass(frozen=True)
class RosterRow:
    """One line of a roster as edited: an existing ``member``, or a new one when None."""

    name: str
    gender: str
    role: str
    phone: str = ""
    account: Any = None
    is_active: bool = True
    member: CommitteeMember | None = None


_MEMBER_FIELDS = ("name", "gender", "role", "phone", "account_id", "is_active")


@transaction.atomic
def save_roster(
    committee: Unit,
    *,
    actor: Any,
    rows: Sequence[RosterRow],
    phone: str | None = None,
    address: str | None = None,
) -> list[CommitteeMember]:
    """Save a committee's whole roster (and its contact details) if it keeps the rules.

    Members are never deleted (sessions name them): one who leaves is marked inactive.
    A roster that breaks a composition rule is refused naming the rule, and nothing changes.
    """
    if committee.kind != UnitKind.MEDIATION:
        raise Invalid(_("Only a people's mediation committee has a roster."))
    if not may_edit_roster(actor, committee):
        raise NotAllowed(_("Only an administrator or the committee's chair may edit its roster."))
    committee = Unit.objects.select_for_update().get(pk=committee.pk)
    for row in rows:
        if not row.name.strip():
            raise Invalid(
                _("Every member needs a name."), fields={"roster": _("A name is missing.")}
            )
        if row.gender not in Gender.values or row.role not in MemberRole.values:
            message = _("Give each member's gender and role.")
            raise Invalid(message, fields={"roster": message})
        if row.member is not None and row.member.committee_id != committee.pk:
            raise Invalid(_("A member of another committee cannot be edited here."))
        if row.account is not None and row.account.unit_id != committee.pk:
            message = _("%(name)s's staff account is not in this committee.") % {"name": row.name}
            raise Invalid(message, fields={"roster": message})
    problems = composition_problems([r for r in rows if r.is_active])
    if problems:
        message = _("The roster was not saved: %(problems)s") % {"problems": " ".join(problems)}
        raise Invalid(message, fields={"roster": " ".join(problems)})

    before = [_member_row(m) for m in committee.members.all()]
    saved = []
    for position, row in enumerate(rows):
        member = row.member or CommitteeMember(committee=committee)
        member.name = row.name.strip()
        member.gender, member.role = row.gender, row.role
        member.phone = row.phone.strip()
        member.account = row.account
        member.is_active = row.is_active
        member.position = position
        member.save()
        saved.append(member)
    contact = {}
    for field, value in (("phone", phone), ("address", address)):
        if value is not None and getattr(committee, field) != value.strip():
            contact[field] = [getattr(committee, field), value.strip()]
            setattr(committee, field, value.strip())
    if contact:
        committee.save(update_fields=list(contact))
    after = [_member_row(m) for m in committee.members.all()]
    record(
        "mediation.committee.roster_saved",
        committee,
        actor=actor,
        changes={"members": [before, after], **contact},
    )
    return saved


def _member_row(member: CommitteeMember) -> dict[str, Any]:
    return {"id": member.pk, **{f: getattr(member, f) for f in _MEMBER_FIELDS}}


# --- who may act ----------------------------------------------------------------------------


def _sees(user: Any, case: Case) -> bool:
    """Scoping in one place: the case's own ``for_user`` decides."""
    return Case.objects.for_user(user).filter(pk=case.pk).exists()


def is_committee_staff(user: Any, committee_id: int | None) -> bool:
    return bool(
        committee_id
        and user.is_authenticated
        and user.is_active
        and user.role in (Role.MEDIATOR, Role.UNIT)
        and user.unit_id == committee_id
    )


def may_mediate(user: Any, mediation: Mediation) -> bool:
    """The staff of the committee that mediates, within their scope."""
    return is_committee_staff(user, mediation.committee_id) and _sees(user, mediation.case)


def with_committee(case: Case) -> bool:
    """Whether a people's mediation committee is the case's handling unit now."""
    return case.lead_unit_id is not None and case.lead_unit.kind == UnitKind.MEDIATION


def mediation_of(case: Case) -> Mediation | None:
    return Mediation.objects.filter(case=case).select_related("committee").first()


def can_open_mediation(user: Any, case: Case) -> bool:
    return (
        with_committee(case)
        and case.status in workflow.HANDLING | {S.ROUTED}
        and is_committee_staff(user, case.lead_unit_id)
        and not Mediation.objects.filter(case=case).exists()
        and _sees(user, case)
    )


def _when(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    return formats.date_format(value, "Y-m-d")


def _registered_minute(case: Case) -> datetime:
    """Forms give times to the minute: the registration's minute is the earliest allowed."""
    return case.received_at.replace(second=0, microsecond=0)


def _locked(mediation: Mediation) -> Mediation:
    """The mediation row, locked for this transaction, with its case read afresh."""
    return Mediation.objects.select_for_update().get(pk=mediation.pk)


def _check_mediating(mediation: Mediation, actor: Any) -> None:
    """The committee's staff, while the case is with the committee and the mediation open."""
    if not may_mediate(actor, mediation):
        raise NotAllowed(_("Only the committee mediating this case may do this."))
    case = mediation.case
    if case.status not in workflow.HANDLING or case.lead_unit_id != mediation.committee_id:
        raise WorkflowError(
            _(
                "This case is %(status)s and no longer with the committee: the mediation "
                "cannot go on."
            )
            % {"status": Status(case.status).label}
        )
    if mediation.outcome:
        raise WorkflowError(
            _("This mediation has ended (%(outcome)s).")
            % {"outcome": Outcome(mediation.outcome).label}
        )


def _timeline(
    mediation: Mediation,
    action: str,
    actor: Any,
    *,
    note: str = "",
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> None:
    """A line on the case's timeline and its audit event (``cases.case.<action>``)."""
    workflow.record_case_event(
        mediation.case,
        action,
        actor,
        note=note,
        public=public,
        data={"mediation": mediation.number, **(data or {})},
    )


# --- opening ----------------------------------------------------------------------------------


@transaction.atomic
def open_mediation(case: Case, *, actor: Any) -> Mediation:
    """The committee takes the dispute into people's mediation (a routed case is accepted)."""
    if not with_committee(case):
        raise WorkflowError(
            _("Only a case assigned to a people's mediation committee can be mediated.")
        )
    if not (is_committee_staff(actor, case.lead_unit_id) and _sees(actor, case)):
        raise NotAllowed(_("Only the committee the case was assigned to may open its mediation."))
    if Mediation.objects.filter(case=case).exists():
        raise WorkflowError(_("This case's mediation is already open."))
    if case.status == S.ROUTED:
        workflow.accept_case(case, actor=actor)
    elif case.status not in workflow.HANDLING:
        raise WorkflowError(
            _("This case is %(status)s: a mediation cannot be opened now.")
            % {"status": Status(case.status).label}
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            mediation = Mediation.objects.create(
                case=case,
                committee_id=case.lead_unit_id,
                number=workflow.next_number("TJ", timezone.localtime(now).year),
                opened_at=now,
                opened_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("Someone opened this mediation a moment ago.")) from exc
    own = CommitteeMember.objects.filter(
        committee_id=case.lead_unit_id, account=actor, is_active=True
    ).first()
    if own is not None:
        mediation.mediators.add(own)
    _timeline(
        mediation, "mediation_opened", actor, public=True, data={"committee": case.lead_unit.name}
    )
    return mediation


# --- consent, notice, mediators ----------------------------------------------------------------


def consent_state(mediation: Mediation) -> dict[int, ConsentRecord]:
    """Each party's standing word: their latest consent record."""
    latest: dict[int, ConsentRecord] = {}
    for item in mediation.consents.order_by("at", "id"):
        latest[item.party_id] = item
    return latest


def _principal_parties(case: Case) -> list[Party]:
    return [p for p in case.parties.all() if p.role in (PartyRole.APPLICANT, PartyRole.RESPONDENT)]


def _applicants(case: Case) -> list[Party]:
    parties = list(case.parties.all())
    return [p for p in parties if p.role == PartyRole.APPLICANT] or parties


def stop_reason(mediation: Mediation) -> str:
    """Why the mediation cannot go on, when a party refused or withdrew; else empty."""
    for item in consent_state(mediation).values():
        if item.decision == Consent.REFUSED:
            return _(
                "%(name)s refused mediation (%(date)s). Mediation is voluntary: record the "
                "outcome and the path the parties choose."
            ) % {"name": item.party.name, "date": _when(item.at)}
        if item.decision == Consent.WITHDRAWN:
            return _(
                "%(name)s withdrew from mediation (%(date)s). Mediation is voluntary: record "
                "the outcome and the path the parties choose."
            ) % {"name": item.party.name, "date": _when(item.at)}
    return ""


def _check_may_start(mediation: Mediation) -> None:
    """No party refused or withdrew, and the applicant consented."""
    stopped = stop_reason(mediation)
    if stopped:
        raise WorkflowError(stopped)
    applicants = _applicants(mediation.case)
    if not applicants:
        raise WorkflowError(_("The case names no parties: mediation needs the parties' consent."))
    latest = consent_state(mediation)
    missing = [
        p.name for p in applicants if getattr(latest.get(p.pk), "decision", "") != Consent.GIVEN
    ]
    if missing:
        raise WorkflowError(
            _("Mediation is voluntary: it cannot start before the applicant consents (%(names)s).")
            % {"names": "、".join(missing)}
        )


def session_blockers(mediation: Mediation) -> list[str]:
    """What stands between the mediation and its next recorded session (for the page)."""
    problems = []
    try:
        _check_may_start(mediation)
    except WorkflowError as exc:
        problems.append(exc.message)
    if mediation.rights_notice_given_at is None:
        problems.append(_("The parties have not yet been told of their right to go to court."))
    return problems


@transaction.atomic
def record_consent(
    mediation: Mediation, *, actor: Any, party: Party, decision: str, note: str = ""
) -> ConsentRecord:
    """A party consents to mediation, refuses it, or withdraws (at any time)."""
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    if party.case_id != mediation.case_id:
        message = _("Choose a party to this case.")
        raise Invalid(message, fields={"party": message})
    if decision not in Consent.values:
        message = _("Choose the party's decision.")
        raise Invalid(message, fields={"decision": message})
    current = getattr(consent_state(mediation).get(party.pk), "decision", "")
    if decision == current:
        raise WorkflowError(_("This is already recorded for %(name)s.") % {"name": party.name})
    if decision == Consent.WITHDRAWN and current != Consent.GIVEN:
        message = _("Only a party who consented can withdraw; record a refusal instead.")
        raise Invalid(message, fields={"decision": message})
    if decision == Consent.REFUSED and current == Consent.GIVEN:
        message = _("%(name)s consented earlier: record a withdrawal instead.") % {
            "name": party.name
        }
        raise Invalid(message, fields={"decision": message})
    item = ConsentRecord.objects.create(
        mediation=mediation,
        party=party,
        decision=decision,
        at=timezone.now(),
        recorded_by=actor,
        note=note.strip(),
    )
    _timeline(
        mediation,
        "mediation_consent",
        actor,
        note=f"{party.name}: {Consent(decision).label}"
        + (f"\n{note.strip()}" if note.strip() else ""),
        data={"party": party.pk, "decision": decision},
    )
    return item


def _committee_member(mediation: Mediation, member: CommitteeMember, field: str) -> None:
    if member.committee_id != mediation.committee_id or not member.is_active:
        message = _("%(name)s is not on this committee's roster.") % {"name": member.name}
        raise Invalid(message, fields={field: message})
    if mediation.recusals.filter(member=member).exists():
        message = _(
            "%(name)s is recused from this mediation (related to a party) and cannot mediate it."
        ) % {"name": member.name}
        raise Invalid(message, fields={field: message})


def _check_mediators(
    mediation: Mediation, members: Iterable[CommitteeMember]
) -> list[CommitteeMember]:
    members = list(members)
    if not members:
        message = _("Choose at least one mediator.")
        raise Invalid(message, fields={"mediators": message})
    for member in members:
        _committee_member(mediation, member, "mediators")
    return members


def _check_time(case: Case, value: datetime, field: str, *, not_future: bool) -> None:
    if value < _registered_minute(case):
        message = _("This is before the case was registered (%(date)s).") % {
            "date": _when(case.received_at)
        }
        raise Invalid(message, fields={field: message})
    if not_future and value > timezone.now():
        message = _("This is in the future: only what has happened can be recorded.")
        raise Invalid(message, fields={field: message})


@transaction.atomic
def record_rights_notice(
    mediation: Mediation, *, actor: Any, given_by: CommitteeMember, given_at: datetime
) -> None:
    """The parties were told that mediation does not limit their right to go to court."""
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    if mediation.rights_notice_given_at is not None:
        raise WorkflowError(
            _("The notice was already recorded as given by %(name)s at %(date)s.")
            % {
                "name": mediation.rights_notice_given_by,
                "date": _when(mediation.rights_notice_given_at),
            }
        )
    _committee_member(mediation, given_by, "given_by")
    _check_time(mediation.case, given_at, "given_at", not_future=True)
    mediation.rights_notice_given_at = given_at
    mediation.rights_notice_given_by = given_by
    mediation.rights_notice_recorded_by = actor
    mediation.save(
        update_fields=[
            "rights_notice_given_at",
            "rights_notice_given_by",
            "rights_notice_recorded_by",
        ]
    )
    _timeline(
        mediation,
        "mediation_rights_notice",
        actor,
        public=True,
        note=str(RIGHT_TO_SUE),
        data={"given_by": given_by.name, "given_at": given_at},
    )


@transaction.atomic
def assign_mediators(
    mediation: Mediation, *, actor: Any, members: Iterable[CommitteeMember]
) -> None:
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    members = _check_mediators(mediation, members)
    mediation.mediators.set(members)
    _timeline(
        mediation,
        "mediation_mediators",
        actor,
        note="、".join(m.name for m in members),
        data={"members": [m.pk for m in members]},
    )


@transaction.atomic
def recuse_member(
    mediation: Mediation, *, actor: Any, member: CommitteeMember, reason: str
) -> Recusal:
    """回避: a member related to a party leaves this mediation, and its planned sessions."""
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    if member.committee_id != mediation.committee_id:
        message = _("%(name)s is not on this committee's roster.") % {"name": member.name}
        raise Invalid(message, fields={"member": message})
    reason = _required(reason, "reason", _("Say how the member is related to a party."))
    if mediation.recusals.filter(member=member).exists():
        raise WorkflowError(_("%(name)s is already recused.") % {"name": member.name})
    recusal = Recusal.objects.create(
        mediation=mediation, member=member, reason=reason, at=timezone.now(), recorded_by=actor
    )
    mediation.mediators.remove(member)
    for session in mediation.sessions.filter(recorded_at__isnull=True):
        session.mediators.remove(member)
    _timeline(
        mediation,
        "mediation_recusal",
        actor,
        note=f"{member.name}: {reason}",
        data={"member": member.pk},
    )
    return recusal


# --- sessions -----------------------------------------------------------------------------------


def _required(value: str, field: str, message: str) -> str:
    if not value or not value.strip():
        raise Invalid(message, fields={field: message})
    return value.strip()


@transaction.atomic
def schedule_session(
    mediation: Mediation,
    *,
    actor: Any,
    starts_at: datetime,
    place: str,
    mediators: Iterable[CommitteeMember],
) -> Session:
    """Plan a session: it shows on the mediator's page and the committee's calendar."""
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    _check_may_start(mediation)
    _check_time(mediation.case, starts_at, "starts_at", not_future=False)
    place = _required(place, "place", _("Say where the session takes place."))
    members = _check_mediators(mediation, mediators)
    session = Session.objects.create(
        mediation=mediation, starts_at=starts_at, place=place, scheduled_by=actor
    )
    session.mediators.set(members)
    _timeline(
        mediation,
        "mediation_session_scheduled",
        actor,
        note=f"{_when(starts_at)} {place}",
        data={"session": session.pk, "starts_at": starts_at},
    )
    return session


@transaction.atomic
def record_session(
    mediation: Mediation,
    *,
    actor: Any,
    starts_at: datetime,
    place: str,
    mediators: Iterable[CommitteeMember],
    attendees: str,
    record: str,
    files: Sequence[Any] = (),
    session: Session | None = None,
) -> Session:
    """Record a session held: when, where, who mediated, who attended, what was said.

    A planned ``session`` is filled in; without one a new session is recorded. Not before
    the applicant consented nor before the parties were told of their right to go to court.
    """
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    _check_may_start(mediation)
    case = mediation.case
    if mediation.rights_notice_given_at is None:
        raise WorkflowError(
            _("Before the first session the parties must be told that mediation does not "
              "limit their right to go to court: record that notice first.")
        )  # fmt: skip
    _check_time(case, starts_at, "starts_at", not_future=True)
    if starts_at < mediation.rights_notice_given_at.replace(second=0, microsecond=0):
        message = _(
            "The notice of the right to go to court is recorded at %(date)s, after this "
            "session: it must come first."
        ) % {"date": _when(mediation.rights_notice_given_at)}
        raise Invalid(message, fields={"starts_at": message})
    place = _required(place, "place", _("Say where the session took place."))
    members = _check_mediators(mediation, mediators)
    attendees = _required(attendees, "attendees", _("Name who attended."))
    record_text = _required(record, "record", _("Record what was said and agreed."))
    if session is not None:
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.mediation_id != mediation.pk or session.is_held:
            raise WorkflowError(_("This session is already recorded."))
    else:
        session = Session(mediation=mediation, scheduled_by=actor)
    session.starts_at, session.place = starts_at, place
    session.attendees, session.record = attendees, record_text
    session.recorded_at, session.recorded_by = timezone.now(), actor
    session.save()
    session.mediators.set(members)
    if files:
        stored = workflow.add_attachments(
            case, [workflow.NewAttachment(f) for f in files], actor=actor
        )
        session.attachments.add(*stored)
    _timeline(
        mediation,
        "mediation_session",
        actor,
        note=f"{_when(starts_at)} {place}\n{record_text}",
        data={"session": session.pk, "starts_at": starts_at, "mediators": [m.pk for m in members]},
    )
    return session


# --- agreements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementText:
    dispute_summary: str
    terms: str
    performance_method: str = ""
    performance_deadline: date | None = None
    amount: Decimal | None = None
    is_partial: bool = False
    unresolved: str = ""


def _clean_agreement(case: Case, text: AgreementText) -> AgreementText:
    errors = {}
    terms = "\n".join(line.strip() for line in text.terms.splitlines() if line.strip())
    if not text.dispute_summary.strip():
        errors["dispute_summary"] = _("Describe the dispute the agreement settles.")
    if not terms:
        errors["terms"] = _("An agreement needs its terms: what each party will do.")
    if text.is_partial and not text.unresolved.strip():
        errors["unresolved"] = _("Say which part of the dispute remains unresolved.")
    if text.amount is not None and text.amount < 0:
        errors["amount"] = _("The amount cannot be negative.")
    registered = timezone.localtime(case.received_at).date()
    if text.performance_deadline is not None and text.performance_deadline < registered:
        errors["performance_deadline"] = _("This is before the case was registered.")
    if errors:
        raise Invalid(next(iter(errors.values())), fields=errors)
    return AgreementText(
        dispute_summary=text.dispute_summary.strip(),
        terms=terms,
        performance_method=text.performance_method.strip(),
        performance_deadline=text.performance_deadline,
        amount=text.amount,
        is_partial=text.is_partial,
        unresolved=text.unresolved.strip() if text.is_partial else "",
    )


def _party_list(case: Case) -> list[dict[str, str]]:
    """The parties as the agreement names them: name and role, nothing else."""
    return [{"name": p.name, "role": p.role} for p in case.parties.all()]


def current_draft(mediation: Mediation) -> AgreementDocument | None:
    return mediation.agreements.filter(status=AgreementStatus.DRAFT).first()


@transaction.atomic
def save_agreement_draft(
    mediation: Mediation,
    *,
    actor: Any,
    text: AgreementText,
    agreement: AgreementDocument | None = None,
) -> AgreementDocument:
    """Write or edit the draft of the agreement (人民调解协议书) before it is signed."""
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    if agreement is not None:
        agreement = AgreementDocument.objects.select_for_update().get(pk=agreement.pk)
        if agreement.mediation_id != mediation.pk:
            raise Invalid(_("This agreement belongs to another mediation."))
        if agreement.is_signed:
            raise WorkflowError(_("This agreement is signed and can no longer be changed."))
    elif current_draft(mediation) is not None:
        raise WorkflowError(_("A draft agreement exists already: edit it instead."))
    text = _clean_agreement(mediation.case, text)
    created = agreement is None
    if created:
        agreement = AgreementDocument(
            mediation=mediation, drafted_by=actor, drafted_at=timezone.now()
        )
    before = (
        {f: str(getattr(agreement, f)) for f in text.__dataclass_fields__} if not created else {}
    )
    for field in text.__dataclass_fields__:
        setattr(agreement, field, getattr(text, field))
    agreement.parties = _party_list(mediation.case)
    agreement.save()
    if created:
        _timeline(mediation, "mediation_agreement_drafted", actor, data={"draft": agreement.pk})
    else:
        after = {f: str(getattr(agreement, f)) for f in text.__dataclass_fields__}
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        record(
            "mediation.agreement.edited",
            mediation,
            actor=actor,
            changes={"draft": agreement.pk, **changed},
        )
    return agreement


def _clean_next_path(case: Case, next_path: str, next_body: str) -> tuple[str, str]:
    if next_path not in NextPath.values:
        message = _(
            "Record the path the parties chose: the people's court, legal aid, labour "
            "arbitration or another body."
        )
        raise Invalid(message, fields={"next_path": message})
    body = next_body.strip() or default_body(case, next_path)
    if not body:
        message = _("Name the body the parties turn to.")
        raise Invalid(message, fields={"next_body": message})
    return next_path, body[:100]


def default_body(case: Case, next_path: str) -> str:
    """The usual body for a path: the court tribunal of the area when there is one."""
    if next_path == NextPath.COURT:
        parts = [p for p in case.jurisdiction.path.strip("/").split("/") if p]
        paths = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
        court = (
            Unit.objects.filter(kind=UnitKind.COURT, is_active=True, jurisdiction__path__in=paths)
            .order_by("-jurisdiction__path")
            .first()
        )
        return court.name if court else str(_("People's court"))
    if next_path == NextPath.LEGAL_AID:
        return str(_("Legal aid centre"))
    if next_path == NextPath.LABOUR_ARBITRATION:
        return str(_("Labour dispute arbitration committee"))
    return ""


@transaction.atomic
def sign_agreement(
    agreement: AgreementDocument,
    *,
    actor: Any,
    next_path: str = "",
    next_body: str = "",
    next_path_note: str = "",
) -> AgreementDocument:
    """The parties signed: the agreement is numbered, frozen and stored as a PDF.

    The committee's result goes to the case (it is resolved), and a follow-up visit is due
    within ``YIMEN_MEDIATION_FOLLOW_UP_DAYS``. A partial agreement records the path the
    parties chose for the rest. Signing twice is refused.
    """
    from .documents import agreement_pdf

    agreement = AgreementDocument.objects.select_for_update().get(pk=agreement.pk)
    if agreement.is_signed:
        raise WorkflowError(
            _("Agreement %(number)s was signed on %(date)s: it cannot be signed again.")
            % {"number": agreement.number, "date": _when(agreement.signed_at)}
        )
    mediation = _locked(agreement.mediation)
    _check_mediating(mediation, actor)
    case = mediation.case
    _clean_agreement(
        case,
        AgreementText(**{f: getattr(agreement, f) for f in AgreementText.__dataclass_fields__}),
    )
    _check_may_start(mediation)
    latest = consent_state(mediation)
    missing = [
        p.name
        for p in _principal_parties(case)
        if getattr(latest.get(p.pk), "decision", "") != Consent.GIVEN
    ]
    if missing:
        raise WorkflowError(
            _("An agreement needs every party's consent to mediation; missing: %(names)s.")
            % {"names": "、".join(missing)}
        )
    if (
        mediation.rights_notice_given_at is None
        or not mediation.sessions.filter(recorded_at__isnull=False).exists()
    ):
        raise WorkflowError(_("An agreement is signed after at least one recorded session."))
    path, body = ("", "")
    if agreement.is_partial:
        path, body = _clean_next_path(case, next_path, next_body)

    now = timezone.now()
    agreement.number = workflow.next_number("XY", timezone.localtime(now).year)
    agreement.status = AgreementStatus.SIGNED
    agreement.signed_at, agreement.signed_by = now, actor
    agreement.parties = _party_list(case)
    agreement.mediation = mediation
    agreement.pdf.save(f"{agreement.number}.pdf", ContentFile(agreement_pdf(agreement)), save=False)
    updated = AgreementDocument.objects.filter(
        pk=agreement.pk, status=AgreementStatus.DRAFT
    ).update(
        number=agreement.number,
        status=AgreementStatus.SIGNED,
        signed_at=now,
        signed_by=actor,
        parties=agreement.parties,
        pdf=agreement.pdf.name,
    )
    if not updated:
        raise Conflict(_("Someone signed this agreement a moment ago."))

    mediation.outcome = Outcome.PARTIAL if agreement.is_partial else Outcome.AGREED
    mediation.outcome_reason = ""
    mediation.concluded_at, mediation.concluded_by = now, actor
    mediation.next_path, mediation.next_body = path, body
    mediation.next_path_note = next_path_note.strip() if path else ""
    mediation.save(
        update_fields=[
            "outcome",
            "outcome_reason",
            "concluded_at",
            "concluded_by",
            "next_path",
            "next_body",
            "next_path_note",
        ]
    )
    due = timezone.localtime(now).date() + timedelta(days=settings.YIMEN_MEDIATION_FOLLOW_UP_DAYS)
    FollowUpVisit.objects.create(mediation=mediation, agreement=agreement, due_on=due)
    _timeline(
        mediation,
        "mediation_agreement_signed",
        actor,
        public=True,
        note=agreement.number,
        data={
            "agreement": agreement.number,
            "partial": agreement.is_partial,
            "amount": agreement.amount,
            "follow_up_due": due,
            "next_path": path,
        },
    )
    if agreement.is_partial:
        result = _(
            "Partial mediation agreement %(number)s signed. For the rest the parties chose: "
            "%(path)s (%(body)s). %(right)s"
        ) % {
            "number": agreement.number,
            "path": NextPath(path).label,
            "body": body,
            "right": RIGHT_TO_SUE,
        }
    else:
        result = _("Mediation agreement %(number)s signed by the parties.") % {
            "number": agreement.number
        }
    workflow.submit_result(case, actor=actor, result=result)
    return agreement


@transaction.atomic
def prepare_judicial_confirmation(
    agreement: AgreementDocument, *, actor: Any, court: str
) -> JudicialConfirmation:
    """司法确认申请: the application the parties file jointly with the court, within 30 days."""
    agreement = AgreementDocument.objects.select_for_update().get(pk=agreement.pk)
    mediation = agreement.mediation
    if not may_mediate(actor, mediation):
        raise NotAllowed(_("Only the committee mediating this case may do this."))
    if not agreement.is_signed:
        raise WorkflowError(_("Judicial confirmation is prepared from a signed agreement."))
    if JudicialConfirmation.objects.filter(agreement=agreement).exists():
        raise WorkflowError(_("The application for this agreement is prepared already."))
    last_day = timezone.localtime(agreement.signed_at).date() + timedelta(
        days=JUDICIAL_CONFIRMATION_DAYS
    )
    if timezone.localdate() > last_day:
        raise WorkflowError(
            _("The parties could apply for judicial confirmation only within 30 days of "
              "signing (until %(date)s).") % {"date": _when(last_day)}
        )  # fmt: skip
    court = (court or "").strip() or default_body(mediation.case, NextPath.COURT)
    item = JudicialConfirmation.objects.create(
        agreement=agreement, court=court[:100], prepared_at=timezone.now(), prepared_by=actor
    )
    _timeline(
        mediation,
        "mediation_judicial_confirmation",
        actor,
        note=court,
        data={"agreement": agreement.number, "court": court},
    )
    return item


# --- ending without agreement ----------------------------------------------------------------


def right_to_sue_note(path: str, body: str, note: str = "") -> str:
    """What the resident is told when the matter leaves mediation: never a dead end."""
    text = _("%(right)s The parties chose: %(path)s — %(body)s.") % {
        "right": RIGHT_TO_SUE,
        "path": NextPath(path).label,
        "body": body,
    }
    return f"{text}\n{note.strip()}" if note.strip() else text


@transaction.atomic
def conclude_mediation(
    mediation: Mediation,
    *,
    actor: Any,
    outcome: str,
    reason: str,
    next_path: str,
    next_body: str = "",
    next_path_note: str = "",
) -> None:
    """Mediation failed, was refused or withdrawn from: record the parties' chosen path.

    The case is transferred out to that body through the case workflow, with the parties'
    right to go to court stated in the note the resident reads; a referral note is printable.
    """
    mediation = _locked(mediation)
    _check_mediating(mediation, actor)
    case = mediation.case
    if outcome not in NEEDS_NEXT_PATH:
        message = _("Choose how the mediation ended: failed, refused or withdrawn.")
        raise Invalid(message, fields={"outcome": message})
    decisions = {item.decision for item in consent_state(mediation).values()}
    if outcome == Outcome.REFUSED and Consent.REFUSED not in decisions:
        message = _("No party's refusal is recorded: record it under consent first.")
        raise Invalid(message, fields={"outcome": message})
    if outcome == Outcome.WITHDRAWN and Consent.WITHDRAWN not in decisions:
        message = _("No party's withdrawal is recorded: record it under consent first.")
        raise Invalid(message, fields={"outcome": message})
    reason = _required(reason, "reason", _("Say what happened."))
    path, body = _clean_next_path(case, next_path, next_body)
    now = timezone.now()
    mediation.outcome, mediation.outcome_reason = outcome, reason
    mediation.concluded_at, mediation.concluded_by = now, actor
    mediation.next_path, mediation.next_body = path, body
    mediation.next_path_note = next_path_note.strip()
    mediation.save(
        update_fields=[
            "outcome",
            "outcome_reason",
            "concluded_at",
            "concluded_by",
            "next_path",
            "next_body",
            "next_path_note",
        ]
    )
    _timeline(
        mediation,
        "mediation_concluded",
        actor,
        note=f"{Outcome(outcome).label}: {reason}",
        data={"outcome": outcome, "next_path": path, "next_body": body},
    )
    workflow.transfer_out(
        case,
        actor=actor,
        to_body=body,
        note_for_resident=right_to_sue_note(path, body, next_path_note),
    )


# --- follow-up visits --------------------------------------------------------------------------


@transaction.atomic
def record_follow_up_visit(
    visit: FollowUpVisit, *, actor: Any, performed: str, settled: bool | None, note: str = ""
) -> FollowUpVisit:
    """回访: was the agreement performed, is the dispute settled? A broken one reopens the case.

    Broken means not performed at all, or the dispute not settled: the committee handles the
    case again (``workflow.reopen_after_broken_agreement``) and the mediation is open again.
    """
    visit = FollowUpVisit.objects.select_for_update().get(pk=visit.pk)
    mediation = _locked(visit.mediation)
    if not may_mediate(actor, mediation):
        raise NotAllowed(_("Only the committee that mediated this case may record its visits."))
    if visit.done_at is not None:
        raise WorkflowError(_("This follow-up visit is recorded already."))
    if performed not in Performed.values:
        message = _("Say whether the agreement was performed.")
        raise Invalid(message, fields={"performed": message})
    if settled is None:
        message = _("Say whether the dispute is settled.")
        raise Invalid(message, fields={"settled": message})
    broken = performed == Performed.NO or not settled
    if broken:
        note = _required(
            note, "note", _("Say what was not performed or why the dispute is not settled.")
        )
    visit.done_at, visit.visited_by = timezone.now(), actor
    visit.performed, visit.settled, visit.note = performed, settled, note.strip()
    visit.reopened = broken
    visit.save()
    _timeline(
        mediation,
        "mediation_follow_up_visit",
        actor,
        note=f"{Performed(performed).label}; "
        + (_("dispute settled") if settled else _("dispute not settled"))
        + (f"\n{note.strip()}" if note.strip() else ""),
        data={"performed": performed, "settled": settled, "reopened": broken},
    )
    if broken:
        workflow.reopen_after_broken_agreement(mediation.case, actor=actor, reason=note.strip())
        mediation.outcome, mediation.outcome_reason = "", ""
        mediation.concluded_at, mediation.concluded_by = None, None
        mediation.next_path, mediation.next_body, mediation.next_path_note = "", "", ""
        mediation.times_reopened = F("times_reopened") + 1
        mediation.save(
            update_fields=[
                "outcome",
                "outcome_reason",
                "concluded_at",
                "concluded_by",
                "next_path",
                "next_body",
                "next_path_note",
                "times_reopened",
            ]
        )
    return visit


# --- transfer and urgency ----------------------------------------------------------------------


@transaction.atomic
def transfer_outside_mediation(
    case: Case, *, actor: Any, reason: str, to_body: str, note: str
) -> None:
    """A dispute outside people's mediation (already in court, criminal…) goes to the right body."""
    if not (
        with_committee(case) and is_committee_staff(actor, case.lead_unit_id) and _sees(actor, case)
    ):
        raise NotAllowed(_("Only the committee the case was assigned to may do this."))
    if reason not in OUTSIDE_REASONS:
        message = _("Say why the matter is outside people's mediation.")
        raise Invalid(message, fields={"reason": message})
    mediation = Mediation.objects.select_for_update().filter(case=case).first()
    label = str(OUTSIDE_REASONS[reason])
    note_for_resident = f"{label}. {note.strip()}" if note.strip() else ""
    workflow.transfer_out(case, actor=actor, to_body=to_body, note_for_resident=note_for_resident)
    if mediation is not None and mediation.is_open:
        mediation.outcome, mediation.outcome_reason = Outcome.TRANSFERRED, note_for_resident
        mediation.concluded_at, mediation.concluded_by = timezone.now(), actor
        mediation.next_body = to_body.strip()[:100]
        mediation.save(
            update_fields=["outcome", "outcome_reason", "concluded_at", "concluded_by", "next_body"]
        )
    record(
        "mediation.case.transferred_outside",
        case,
        actor=actor,
        changes={"reason": reason, "to": to_body.strip()},
    )


def report_risk_of_violence(case: Case, *, actor: Any, reason: str) -> None:
    """A dispute at risk of turning violent: urgent, and the director and leaders told at once."""
    reason = _required(reason, "reason", _("Describe the risk."))
    workflow.flag_urgent(
        case, actor=actor, reason=_("Risk of violence: %(reason)s") % {"reason": reason}
    )


# --- lists ---------------------------------------------------------------------------------------


def my_mediations(user: Any) -> QuerySet[Mediation]:
    """Open mediations this user works on, the next planned session first.

    A committee's staff see their committee's; the director and others above see all in
    their scope. A planned session not yet recorded counts even when its time has passed,
    so it comes first as a reminder to record it.
    """
    mediations = Mediation.objects.for_user(user).filter(outcome="")
    if user.unit_id and user.unit.kind == UnitKind.MEDIATION:
        mediations = mediations.filter(committee_id=user.unit_id)
    return (
        mediations.select_related("case", "case__category", "committee")
        .annotate(
            next_session=Min("sessions__starts_at", filter=Q(sessions__recorded_at__isnull=True))
        )
        .order_by(F("next_session").asc(nulls_last=True), "opened_at", "pk")
    )


def visits_due(user: Any) -> QuerySet[FollowUpVisit]:
    visits = FollowUpVisit.objects.filter(
        done_at__isnull=True, mediation__in=Mediation.objects.for_user(user).values("pk")
    )
    if user.unit_id and user.unit.kind == UnitKind.MEDIATION:
        visits = visits.filter(mediation__committee_id=user.unit_id)
    return visits.select_related("mediation__case", "agreement").order_by("due_on", "pk")


def sessions_between(
    user: Any, committee: Unit, start: datetime, end: datetime
) -> QuerySet[Session]:
    return (
        Session.objects.filter(
            mediation__in=Mediation.objects.for_user(user).values("pk"),
            mediation__committee=committee,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("mediation__case")
        .order_by("starts_at", "pk")
    )
