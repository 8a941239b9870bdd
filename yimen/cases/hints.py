"""What the intake form shows beside the typed matter: suggested categories and the unit,
and open or recent matters that may be the same, with the desk's choice to join or link.

Built from the form's raw values, valid or not, so hints appear while the desk types.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from yimen.org.models import Jurisdiction
from yimen.triage.models import Suggestion
from yimen.triage.services import Suggested, suggest

from .duplicates import Matter, Similar, community_path, find_similar
from .merging import active_merge, may_merge, related_cases, reporters
from .models import Case, CaseMerge, Category, Status

MAX_PARTY_ROWS = 20


@dataclass
class Hints:
    suggested: Suggested
    similar: list[Similar] = field(default_factory=list)
    attach_to: str = ""
    relate_to: list[str] = field(default_factory=list)


def _number(value: str | None) -> float | None:
    try:
        number = Decimal((value or "").strip())
    except InvalidOperation:
        return None
    return float(number) if number.is_finite() else None


def _phones(data: QueryDict, prefix: str) -> frozenset[str]:
    try:
        rows = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), MAX_PARTY_ROWS)
    except ValueError:
        rows = 0
    phones = (data.get(f"{prefix}-{i}-phone", "").strip() for i in range(rows))
    return frozenset(phone for phone in phones if phone)


def matter_from(data: QueryDict, *, party_prefix: str) -> Matter:
    return Matter(
        title=data.get("title", "")[:100],
        description=data.get("description", ""),
        address=data.get("address", "")[:200],
        latitude=_number(data.get("latitude")),
        longitude=_number(data.get("longitude")),
        phones=_phones(data, party_prefix),
    )


def hints_for(data: QueryDict, user: Any, *, party_prefix: str) -> Hints:
    """Suggestions and similar matters for the intake form's current values."""
    matter = matter_from(data, party_prefix=party_prefix)
    nodes = Jurisdiction.objects.for_user(user).defer("polygon")
    place = nodes.filter(pk=data.get("jurisdiction")).first() if data.get(
        "jurisdiction", ""
    ).isdigit() else None  # fmt: skip
    hints = Hints(
        suggest(matter.title, matter.description, place),
        attach_to=data.get("attach_to", ""),
        relate_to=data.getlist("relate_to"),
    )
    if place is not None and (matter.title.strip() or matter.description.strip() or matter.phones):
        hints.similar = find_similar(
            Case.objects.for_user(user),
            matter,
            near_path=community_path(place),
            now=timezone.now(),
        )
    return hints


@dataclass
class CasePanel:
    """The case page's "reports of this matter": reporters, merges, links, look-alikes."""

    reporters: int
    merged_into: Any  # the active CaseMerge that joined this case to another
    merged_in: list[Any]
    related: list[Case]
    may_merge: bool
    suggestion: Any  # yimen.triage.models.Suggestion or None
    suggested: list[tuple[str, float]] = field(default_factory=list)  # (category name, p)


def case_panel(case: Case, user: Any) -> CasePanel:
    merged_in = list(
        CaseMerge.objects.filter(into=case, undone_at__isnull=True).select_related("duplicate")
    )
    suggestion = Suggestion.objects.filter(case=case).select_related("unit").first()
    suggested = []
    if suggestion is not None:
        names = dict(Category.objects.filter(code__in=suggestion.codes).values_list("code", "name"))
        suggested = [(names.get(code, code), p) for code, p in suggestion.categories]
    return CasePanel(
        reporters=len(reporters(case)),
        merged_into=active_merge(case) if case.status == Status.MERGED else None,
        merged_in=merged_in,
        related=related_cases(case, user),
        may_merge=may_merge(user, case),
        suggestion=suggestion,
        suggested=suggested,
    )


def similar_to_case(case: Case, user: Any, limit: int = 5) -> list[Similar]:
    """Matters that may be the same as this case, not already joined to or linked with it.

    Asked for by the case page once it is shown, so the page itself does not wait for it.
    """
    if case.status == Status.MERGED:
        return []
    known = {
        case.pk,
        *CaseMerge.objects.filter(into=case, undone_at__isnull=True).values_list(
            "duplicate_id", flat=True
        ),
        *(other.pk for other in related_cases(case, user)),
    }
    phones = {party.phone for party in case.parties.all() if party.phone}
    found = find_similar(
        Case.objects.for_user(user),
        Matter.of(case, phones),
        near_path=community_path(case.jurisdiction),
        now=timezone.now(),
        exclude=case.pk,
        limit=limit + len(known),
    )
    return [s for s in found if s.case.pk not in known][:limit]
