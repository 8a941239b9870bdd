"""What Open311 shows: services, their definitions, requests and their updates.

Only cases that came in through Open311 are visible here; matters brought to the hall, by
letter or by phone never leave Yimen this way. Nothing personal is ever shown: no name,
phone or e-mail of the requester. The account of the matter, its place and photos, and the
notes on its timeline are shown for public-space matters (a hazard, a broken street light);
for a dispute they are shown only to the client that submitted it, since an account of a
family or neighbour dispute is about people (DESIGN.md §1).
"""

from datetime import datetime, time
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yimen.cases.models import Case, CaseEvent, Category, Status
from yimen.cases.presentation import EVENT_LABELS

from .formats import w3c
from .models import Open311Client, ServiceAttribute

CLOSED = frozenset({Status.CLOSED, Status.ARCHIVED, Status.TRANSFERRED_OUT})
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})


def open_or_closed(status: str) -> str:
    """GeoReport's two states: closed once the center has finished with it, else open.

    A submitted result (``resolved``) is still open: the director may yet send it back.
    """
    return "closed" if status in CLOSED else "open"


def localized(chinese: str, english: str = "") -> str:
    if english and (get_language() or "").startswith("en"):
        return english
    return chinese


# --- what is visible -----------------------------------------------------------------------


def open311_categories() -> QuerySet[Category]:
    """The services: active categories, less complaints about staff.

    A complaint about staff must name whom it is about so it is never routed to them, and
    it does not belong on a third-party platform that may publish what it sends; it is
    made at the hall or through the resident portal.
    """
    return Category.objects.filter(is_active=True, is_staff_complaint=False)


def open311_cases() -> QuerySet[Case]:
    """Every case Open311 may show: those that came in through it, and no other."""
    return (
        Case.objects.filter(open311__isnull=False)
        .select_related("category", "lead_unit", "jurisdiction", "open311")
        .defer("jurisdiction__polygon")
    )


def shows_content(case: Case, client: Open311Client | None) -> bool:
    category = case.category
    public_matter = not (category.is_dispute or category.is_staff_complaint)
    return public_matter or (client is not None and case.open311.client_id == client.pk)


# --- services ------------------------------------------------------------------------------


def services_data() -> list[dict[str, Any]]:
    has_attributes = Exists(ServiceAttribute.objects.filter(category=OuterRef("pk")))
    categories = open311_categories().annotate(has_attributes=has_attributes)
    items = []
    for category in categories:
        name = localized(category.name, category.name_en)
        other = category.name_en if name == category.name else category.name
        items.append(
            {
                "service_code": category.code,
                "service_name": name,
                "description": name,
                "metadata": category.has_attributes,
                "type": "realtime",
                "keywords": other or None,
                "group": _("Disputes and mediation")
                if category.is_dispute
                else _("Public matters"),
            }
        )
    return items


def attribute_data(attribute: ServiceAttribute) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description or None,
        "order": attribute.order,
        "description": localized(attribute.description, attribute.description_en),
    }
    if attribute.datatype in LIST_TYPES:
        data["values"] = [
            {"key": str(v["key"]), "name": localized(v["name"], v.get("name_en", ""))}
            for v in attribute.values
        ]
    return data


def definition_data(category: Category) -> dict[str, Any]:
    attributes = category.open311_attributes.order_by("order", "code")
    return {
        "service_code": category.code,
        "attributes": [attribute_data(a) for a in attributes],
    }


# --- requests ------------------------------------------------------------------------------


def _expected(case: Case) -> datetime | None:
    """The deadline is a day: the request is due by the end of it, in the center's time."""
    if case.deadline is None:
        return None
    return datetime.combine(case.deadline, time(23, 59, 59), timezone.get_current_timezone())


def _agency(case: Case) -> str | None:
    if case.status == Status.TRANSFERRED_OUT:
        return case.transferred_to or None
    return case.lead_unit.name if case.lead_unit_id else None


def status_notes(case: Case, content: bool) -> str:
    """Yimen's own state, finer than open/closed, and where it went or how it ended."""
    label = str(Status(case.status).label)
    if case.status == Status.TRANSFERRED_OUT and case.transferred_to:
        return _("%(label)s: %(detail)s") % {"label": label, "detail": case.transferred_to}
    if case.status in CLOSED and content and case.result:
        return _("%(label)s: %(detail)s") % {"label": label, "detail": case.result}
    return label


def _updated(case: Case) -> datetime:
    if case.status in CLOSED and case.closed_at:
        return case.closed_at
    return case.updated_at


def request_data(
    case: Case, client: Open311Client | None, *, extensions: bool = False
) -> dict[str, Any]:
    content = shows_content(case, client)
    media = case.open311.media_urls
    data: dict[str, Any] = {
        "service_request_id": case.receipt_number,
        "status": open_or_closed(case.status),
        "status_notes": status_notes(case, content),
        "service_name": localized(case.category.name, case.category.name_en),
        "service_code": case.category.code,
        "description": case.description if content else None,
        "agency_responsible": _agency(case),
        "service_notice": None,
        "requested_datetime": w3c(case.received_at),
        "updated_datetime": w3c(_updated(case)),
        "expected_datetime": w3c(_expected(case)),
        "address": (case.address or None) if content else None,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude if content else None,
        "long": case.longitude if content else None,
        "media_url": media[0] if content and media else None,
    }
    if extensions:
        data["attributes"] = case.open311.answers if content else []
        data["extended_attributes"] = {
            "status": case.status,
            "status_label": str(Status(case.status).label),
            "jurisdiction": case.jurisdiction.name,
            "deadline": case.deadline.isoformat() if case.deadline else None,
            "media_urls": media if content else [],
        }
        notes = getattr(case, "public_events", None)
        if notes is None:
            notes = case.events.filter(is_public=True).order_by("at", "pk")
        data["notes"] = [
            {"datetime": w3c(e.at), "type": e.action, "description": describe(e, content)}
            for e in notes
        ]
    return data


# --- updates -------------------------------------------------------------------------------


def describe(event: CaseEvent, content: bool) -> str:
    """A timeline entry as a sentence: what happened, to whom it went, and its note."""
    text = str(EVENT_LABELS.get(event.action, event.action))
    data = event.data if isinstance(event.data, dict) else {}
    detail = data.get("unit_name") or data.get("to")
    if detail:
        text = _("%(label)s: %(detail)s") % {"label": text, "detail": detail}
    if content and event.note:
        text = f"{text}\n{event.note}"
    return text


def update_data(event: CaseEvent, client: Open311Client | None) -> dict[str, Any]:
    case = event.case
    content = shows_content(case, client)
    data = event.data if isinstance(event.data, dict) else {}
    media = data.get("media_urls") or []
    return {
        "update_id": str(event.pk),
        "service_request_id": case.receipt_number,
        "status": open_or_closed(event.to_status or case.status),
        "updated_datetime": w3c(event.at),
        "description": describe(event, content),
        "media_url": media[0] if content and media else None,
        "external_status_code": event.to_status or case.status,
    }


def public_events() -> QuerySet[CaseEvent]:
    """The timeline entries shown to residents, of the cases Open311 may show."""
    return CaseEvent.objects.filter(is_public=True, case__open311__isnull=False).select_related(
        "case__category", "case__open311"
    )
