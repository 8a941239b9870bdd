"""A resident's request to see what is held about them (查询本人信息), answered from one screen.

The desk finds every party record that carries the resident's phone or ID number — an
exact match, never a partial one, so a search cannot fish for neighbours — among the
cases the staff member may see, and exports what is held: the matters, the resident's
role in each, the name and numbers as stored, and what they said in follow-ups. Every
export is an audit event, as any full view of personal data is.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.audit.services import record

from .models import Case, FollowUp, Party


def held_about(user: Any, *, phone: str = "", id_number: str = "") -> QuerySet[Party]:
    """The party records with exactly this phone or ID number, in cases the user may see."""
    phone, id_number = phone.strip(), id_number.strip().upper()
    match = Q()
    if phone:
        match |= Q(phone=phone)
    if id_number:
        match |= Q(id_number=id_number)
    if not match:
        return Party.objects.none()
    cases = Case.objects.for_user(user).values("pk")
    return (
        Party.objects.filter(match, case__in=cases)
        .select_related("case", "case__category", "case__jurisdiction", "case__lead_unit")
        .order_by("case__received_at", "pk")
    )


HEADERS = (_("Receipt number"), _("Received at"), _("Category"), _("Title"), _("Place"),
           _("Status"), _("Role"), _("Name"), _("Phone"), _("ID number"),
           _("What they said in follow-ups"))  # fmt: skip


def rows(parties: QuerySet[Party]) -> Iterator[list[Any]]:
    comments: dict[int, list[str]] = {}
    follow_ups = FollowUp.objects.filter(case__in=parties.values("case_id")).exclude(comment="")
    for follow_up in follow_ups.order_by("at"):
        comments.setdefault(follow_up.case_id, []).append(follow_up.comment)
    for party in parties:
        case = party.case
        yield [
            case.receipt_number,
            timezone.localtime(case.received_at),
            case.category.name,
            case.title,
            f"{case.jurisdiction.name} {case.address}".strip(),
            case.get_status_display(),
            party.get_role_display(),
            party.name,
            party.phone,
            party.id_number,
            "\n".join(comments.get(case.pk, [])),
        ]


def log_export(user: Any, parties: QuerySet[Party], *, phone: str, id_number: str) -> None:
    record(
        "privacy.access_request.exported",
        actor=user,
        object_type="cases.party",
        changes={"parties": list(parties.values_list("pk", flat=True)),
                 "by_phone": bool(phone), "by_id_number": bool(id_number)},
        path=user.visible_path,
    )  # fmt: skip
