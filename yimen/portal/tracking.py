"""What a resident sees of their matter: found by receipt number and tracking code only.

A wrong number and a wrong code give the same answer in about the same time — one query,
one keyed hash, one constant-time comparison either way — so the page cannot be used to
find out which receipt numbers exist. What is shown is written for the resident: plain
status words, the handling unit's name (never a staff member's), the deadline, the
timeline entries marked public and the result. Parties, internal notes and attachments are
never shown.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.crypto import constant_time_compare
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yimen.cases import workflow
from yimen.cases.merging import active_merge
from yimen.cases.models import Case, FollowUp, Satisfaction, Status
from yimen.cases.presentation import EVENT_LABELS

S = Status
# A value no tracking hash can equal (hashes are hexadecimal), compared when the number is
# unknown so that the comparison is made all the same.
_NO_HASH = "-" * 64

PLAIN_STATUS: dict[str, Promise] = {
    S.REGISTERED: _("Received: waiting to be assigned to a handling unit"),
    S.RETURNED: _("Received: waiting to be assigned to a handling unit"),
    S.ROUTED: _("Assigned to a handling unit"),
    S.ACCEPTED: _("Being handled"),
    S.IN_PROGRESS: _("Being handled"),
    S.EXTENDED: _("Being handled (the deadline was extended)"),
    S.REOPENED: _("Being handled again"),
    S.ESCALATED: _("Passed to the higher level"),
    S.RESOLVED: _("Result given"),
    S.CLOSED: _("Closed"),
    S.ARCHIVED: _("Closed"),
    S.TRANSFERRED_OUT: _("Transferred to another body"),
}
STATUS_KIND = {
    S.RESOLVED: "ok",
    S.CLOSED: "ok",
    S.ARCHIVED: "ok",
    S.ESCALATED: "warn",
    S.REOPENED: "warn",
    S.EXTENDED: "warn",
}
WITH_RESULT = frozenset({S.RESOLVED, S.CLOSED, S.ARCHIVED})


def find_case(number: str, code: str) -> Case | None:
    """The case with this receipt number whose tracking code is ``code``, else None."""
    case = (
        Case.objects.filter(receipt_number=number).select_related("lead_unit", "category").first()
        if number
        else None
    )
    given = workflow.tracking_hash(code)
    stored = case.tracking_code_hash if case is not None else _NO_HASH
    matches = constant_time_compare(given, stored)
    return case if (matches and case is not None) else None


def tracked_case(pk: int) -> Case | None:
    """A case the resident's session has verified (the pk comes from the session only)."""
    return Case.objects.filter(pk=pk).select_related("lead_unit", "category").first()


def handling_case(case: Case) -> Case:
    """The case that handles the resident's matter: their own, or the one it was joined to.

    Each reporter of a merged matter keeps their own receipt and code, and follows, rates
    and may ask to re-handle the case that handles it for all of them.
    """
    merge = active_merge(case) if case.status == S.MERGED else None
    return merge.into if merge is not None else case


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    label: Any
    note: str
    unit: str


@dataclass
class PublicView:
    """Everything the tracking page shows; built here so the template cannot reach further."""

    receipt_number: str
    status: Any
    status_kind: str
    received_at: datetime
    category: str
    unit: str
    deadline: date | None
    deadline_provisional: bool
    result: str
    transferred_to: str
    entries: list[PublicEntry] = field(default_factory=list)
    rating: FollowUp | None = None
    may_rate: bool = False
    may_request_rehandling: bool = False
    rehandling_requested: bool = False
    reported_as: str = ""  # the resident's own receipt number, when joined to this case


def public_view(case: Case, category_label: Any, reported_as: str = "") -> PublicView:
    events = case.events.filter(is_public=True).only("at", "action", "note", "data")
    entries = []
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        label = EVENT_LABELS.get(event.action, event.action)
        if event.action == "rated_by_resident" and data.get("satisfaction") in Satisfaction.values:
            label = f"{label}: {Satisfaction(data['satisfaction']).label}"
        unit = data.get("unit_name", "") if event.action in ("routed", "accepted") else ""
        entries.append(PublicEntry(event.at, label, event.note, unit))
    running = case.status not in WITH_RESULT | {S.TRANSFERRED_OUT}
    rating = workflow.resident_rating(case) if case.status in workflow.RATEABLE else None
    return PublicView(
        receipt_number=case.receipt_number,
        status=PLAIN_STATUS.get(case.status, case.get_status_display()),
        status_kind=STATUS_KIND.get(case.status, ""),
        received_at=case.received_at,
        category=category_label(case.category),
        unit=case.lead_unit.name if case.lead_unit_id else "",
        deadline=case.deadline if running else None,
        deadline_provisional=case.deadline_provisional,
        result=case.result if case.status in WITH_RESULT else "",
        transferred_to=case.transferred_to if case.status == S.TRANSFERRED_OUT else "",
        entries=entries,
        rating=rating,
        may_rate=case.status in workflow.RATEABLE and rating is None,
        may_request_rehandling=workflow.may_request_rehandling(case),
        rehandling_requested=workflow.rehandling_requested(case),
        reported_as=reported_as if reported_as != case.receipt_number else "",
    )
