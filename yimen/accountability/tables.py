"""The units table and the staff table, built once for the page and the spreadsheet alike."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yimen.org.models import Unit, User

from .measures import MEASURES, Scope, Tallies, Tally

RATE = "on_time_rate"
UNIT_MEASURES = [
    "handled",
    "on_time",
    RATE,
    "overdue",
    "resolved_late",
    "open_overdue",
    "returned",
    "reopened",
    "dissatisfied",
    "complaints_unit",
    "complaints_staff",
]
# A complaint about a unit names no one: it has no place in the staff table.
STAFF_MEASURES = [code for code in UNIT_MEASURES if code != "complaints_unit"]


@dataclass
class Cell:
    value: Any
    kind: str = "text"  # text, count or rate (a fraction, None when there is nothing)
    url: str = ""

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value


@dataclass
class Table:
    title: Any
    headers: list[Any]
    rows: list[list[Cell]] = field(default_factory=list)
    total: list[Cell] | None = None


# ``link(code, target)`` gives the drill-down address of one number; ``target`` is
# {"unit": pk}, {"staff": pk} or {} for the units table's total.
Link = Callable[[str, dict[str, int]], str]


def _measure_cells(tally: Tally, codes: list[str], link: Link, target: dict[str, int]):
    cells = []
    for code in codes:
        if code == RATE:
            cells.append(Cell(tally.on_time_rate, "rate"))
        else:
            value = tally[code]
            cells.append(Cell(value, "count", link(code, target) if value else ""))
    return cells


def _measure_headers(codes: list[str], *, staff: bool) -> list[Any]:
    labels = []
    for code in codes:
        if code == RATE:
            labels.append(_("On-time rate"))
        else:
            measure = MEASURES[code]
            labels.append(measure.staff_label if staff else measure.label)
    return labels


def units_table(scope: Scope, tallies: Tallies, link: Link) -> Table:
    """Every active unit in the viewer's jurisdiction, and any other with something counted."""
    counted = [pk for pk, t in tallies.units.items() if not t.is_empty()]
    units = (
        Unit.objects.for_user(scope.user)
        .filter(Q(is_active=True) | Q(pk__in=counted))
        .select_related("jurisdiction")
        .order_by("jurisdiction__path", "name")
    )
    table = Table(
        _("Units"), [_("Unit"), _("Jurisdiction"), *_measure_headers(UNIT_MEASURES, staff=False)]
    )
    total = Tally()
    for unit in units:
        tally = tallies.units.get(unit.pk, Tally())
        for code, n in tally.counts.items():
            total.counts[code] += n
        table.rows.append(
            [
                Cell(unit.name),
                Cell(unit.jurisdiction.name),
                *_measure_cells(tally, UNIT_MEASURES, link, {"unit": unit.pk}),
            ]
        )
    table.total = [Cell(_("Total")), Cell(""), *_measure_cells(total, UNIT_MEASURES, link, {})]
    return table


def staff_table(scope: Scope, tallies: Tallies, link: Link) -> Table:
    """Each staff member in the viewer's jurisdiction with something counted."""
    counted = [pk for pk, t in tallies.people.items() if not t.is_empty()]
    people = (
        User.objects.for_user(scope.user)
        .filter(pk__in=counted)
        .select_related("jurisdiction", "unit")
        .order_by("jurisdiction__path", "username")
    )
    headers = [_("Staff member"), _("Account"), _("Role"), _("Unit"), _("Jurisdiction")]
    table = Table(_("Staff"), [*headers, *_measure_headers(STAFF_MEASURES, staff=True)])
    for person in people:
        table.rows.append(
            [
                Cell(str(person)),
                Cell(person.username),
                Cell(person.get_role_display()),
                Cell(person.unit.name if person.unit else ""),
                Cell(person.jurisdiction.name),
                *_measure_cells(
                    tallies.people[person.pk], STAFF_MEASURES, link, {"staff": person.pk}
                ),
            ]
        )
    return table
