"""Cases and their timelines as the API shows them: parties' phone and ID numbers masked."""

from typing import Any

from django.utils import timezone

from yimen.cases.models import Case, CaseEvent, ExtensionStatus
from yimen.cases.presentation import masked_party, with_time_left
from yimen.cases.workflow import allowed_actions


def _unit(unit: Any) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def case_data(case: Case) -> dict[str, Any]:
    """The case as lists show it; ``case.time_left`` must be set (``with_time_left``)."""
    return {
        "id": case.pk,
        "receipt_number": case.receipt_number,
        "title": case.title,
        "description": case.description,
        "status": case.status,
        "status_label": case.get_status_display(),
        "category": case.category.code,
        "channel": case.channel,
        "jurisdiction": case.jurisdiction.code,
        "address": case.address,
        "is_urgent": case.is_urgent,
        "on_the_spot": case.on_the_spot,
        "received_at": timezone.localtime(case.received_at),
        "complexity": case.complexity,
        "lead_unit": _unit(case.lead_unit),
        "co_units": [_unit(u) for u in case.co_units.all()],
        "escalation_level": case.escalation_level,
        "deadline": case.deadline,
        "deadline_provisional": case.deadline_provisional,
        "working_days_left": case.time_left.working_days,
        "overdue": case.time_left.overdue,
        "result": case.result,
        "transferred_to": case.transferred_to,
        "parties": [masked_party(p) for p in case.parties.all()],
    }


def case_list_data(cases: Any) -> list[dict[str, Any]]:
    cases = cases.select_related("category", "jurisdiction", "lead_unit").prefetch_related(
        "parties", "co_units"
    )
    return [case_data(case) for case in with_time_left(cases)]


def case_detail_data(case: Case, user: Any) -> dict[str, Any]:
    """One case for the caller: with what they may do now, its material and a pending request."""
    with_time_left([case])
    pending = case.extensions.filter(status=ExtensionStatus.PENDING).first()
    return {
        **case_data(case),
        "allowed_actions": allowed_actions(user, case),
        "pending_extension": (
            {
                "id": pending.pk,
                "reason": pending.reason,
                "new_deadline": pending.new_deadline,
                "requested_at": timezone.localtime(pending.requested_at),
            }
            if pending
            else None
        ),
        "attachments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "uploaded_at": timezone.localtime(a.uploaded_at),
            }
            for a in case.attachments.all()
        ],
    }


def event_data(event: CaseEvent) -> dict[str, Any]:
    return {
        "at": timezone.localtime(event.at),
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "is_public": event.is_public,
        "actor": str(event.actor) if event.actor_id else None,
        "data": event.data,
    }
