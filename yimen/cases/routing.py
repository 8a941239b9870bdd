"""Routing (分流): which unit a matter goes to, from rules that are data.

Rules name a category and a unit per jurisdiction; the rule nearest the case's place wins,
so a community may override its street. The defaults follow DESIGN.md §3: disputes go to
the community's mediation committee, unresolved ones to the judicial office with the
petition office, public-order and criminal matters to the police station.
"""

from dataclasses import dataclass, field

from django.db import transaction

from yimen.org.models import Jurisdiction, Level, Unit, UnitKind

from .models import Category, RoutingRule, Stage


@dataclass(frozen=True)
class Suggestion:
    unit: Unit
    co_units: list[Unit] = field(default_factory=list)


def ancestor_ids(path: str) -> list[int]:
    """Primary keys on a path, nearest first: ``/1/4/9/`` → ``[9, 4, 1]``."""
    return [int(part) for part in reversed(path.strip("/").split("/")) if part]


def suggest_unit(jurisdiction: Jurisdiction, category: Category, stage: str) -> Suggestion | None:
    """The nearest rule's unit for this place, category and stage, or None without a rule."""
    ids = ancestor_ids(jurisdiction.path)
    rules = {
        rule.jurisdiction_id: rule
        for rule in RoutingRule.objects.filter(
            category=category, stage=stage, jurisdiction_id__in=ids, unit__is_active=True
        )
        .select_related("unit")
        .prefetch_related("co_units")
    }
    for pk in ids:
        if pk in rules:
            rule = rules[pk]
            return Suggestion(rule.unit, list(rule.co_units.all()))
    return None


# Category code → kind of unit, for the first handling; None means "the community's".
_DEFAULT_TARGETS = {
    "public_order": UnitKind.POLICE,
    "hazard": UnitKind.SAFETY,
    "staff_complaint": UnitKind.PETITION,
}


@transaction.atomic
def seed_default_rules(street: Jurisdiction) -> int:
    """Create the default rules for one street and its communities; existing rules stay."""
    units = {u.kind: u for u in Unit.objects.filter(jurisdiction=street, is_active=True)}
    created = 0

    def add(where: Jurisdiction, category: Category, stage: str, unit, co=()) -> None:
        nonlocal created
        if unit is None:
            return
        rule, made = RoutingRule.objects.get_or_create(
            jurisdiction=where, category=category, stage=stage, defaults={"unit": unit}
        )
        if made:
            rule.co_units.set([u for u in co if u is not None])
            created += 1

    fallback = units.get(UnitKind.HALL) or units.get(UnitKind.OFFICE)
    for category in Category.objects.filter(is_active=True):
        if category.is_dispute:
            for community in street.children.filter(level=Level.COMMUNITY):
                committee = Unit.objects.filter(
                    jurisdiction=community, kind=UnitKind.MEDIATION, is_active=True
                ).first()
                add(community, category, Stage.INITIAL, committee)
            add(street, category, Stage.INITIAL, units.get(UnitKind.MEDIATION))
            add(street, category, Stage.ESCALATED, units.get(UnitKind.JUDICIAL),
                [units.get(UnitKind.PETITION)])  # fmt: skip
        else:
            kind = _DEFAULT_TARGETS.get(category.code)
            add(street, category, Stage.INITIAL, units.get(kind) if kind else fallback)
            add(street, category, Stage.ESCALATED, units.get(kind) if kind else fallback)
    return created
