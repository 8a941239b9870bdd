"""Resources as the API shows them: parties' phone and ID numbers masked in every case."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from yimen.cases.models import Attachment, Case, CaseEvent, Category, ExtensionStatus
from yimen.cases.presentation import masked_party, with_time_left
from yimen.cases.workflow import allowed_actions
from yimen.org.models import Jurisdiction, Unit


def category_data(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "name_en": category.name_en,
        "is_dispute": category.is_dispute,
        "is_staff_complaint": category.is_staff_complaint,
        "is_active": category.is_active,
    }


def jurisdiction_data(node: Jurisdiction) -> dict[str, Any]:
    """``node.parent`` should be selected with it."""
    return {
        "id": node.pk,
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "level_label": node.get_level_display(),
        "parent": node.parent.code if node.parent_id else None,
    }


def unit_data(unit: Unit) -> dict[str, Any]:
    """``unit.jurisdiction`` should be selected with it."""
    return {
        "id": unit.pk,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": unit.get_kind_display(),
        "jurisdiction": unit.jurisdiction.code,
        "phone": unit.phone,
        "address": unit.address,
        "is_active": unit.is_active,
    }


def attachment_data(item: Attachment, request: HttpRequest) -> dict[str, Any]:
    url = reverse(
        "api:download_attachment", kwargs={"case_id": item.case_id, "attachment_id": item.pk}
    )
    return {
        "id": item.pk,
        "kind": item.kind,
        "kind_label": item.get_kind_display(),
        "name": item.original_name,
        "content_type": item.content_type,
        "size": item.size,
        "uploaded_at": timezone.localtime(item.uploaded_at),
        "download_url": request.build_absolute_uri(url),
    }


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


def for_case_list(cases: QuerySet[Case]) -> QuerySet[Case]:
    """What ``case_data`` reads, in a fixed number of queries for any number of cases."""
    return cases.select_related("category", "jurisdiction", "lead_unit").prefetch_related(
        "parties", "co_units"
    )


def case_list_data(cases: Iterable[Case]) -> list[dict[str, Any]]:
    return [case_data(case) for case in with_time_left(cases)]


def case_detail_data(case: Case, request: HttpRequest) -> dict[str, Any]:
    """One case for the caller: with what they may do now, its material and a pending request."""
    user = request.user
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
        "attachments": [attachment_data(a, request) for a in case.attachments.all()],
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
