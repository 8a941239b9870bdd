"""What a periodic report says in numbers: taken from the data once, kept as a snapshot.

``build_snapshot`` counts the period with the functions every other page counts with — the
dashboard's figures and rates (``yimen.dashboard.figures``) and the monthly mediation
report (``yimen.mediation.reports``) — over the cases the person generating it sees, and
lists the open cases that are overdue or urgent. The report keeps the result as JSON, so
it reads the same tomorrow as on the day it was filed. ``read_snapshot`` turns it back into
labelled rows for the page, the PDF and the spreadsheet alike.

The open, due-soon and overdue figures and the two lists are as they stood on the day the
figures were generated: a case's state is not kept day by day. The lists name a case by
receipt number, title, lead unit and deadline only, never a party; a complaint about a
member of staff or a unit is counted but never named, since everyone over the node reads
the report, the person or unit complained about included.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, Category
from yimen.dashboard.figures import (
    FIGURES,
    RATES,
    Scope,
    by_category,
    counts,
    open_cases,
    rates,
    received,
)
from yimen.mediation.reports import MONTHLY, build_report
from yimen.periods import Period

# The dashboard figures a report gives, in the order it gives them.
REPORT_FIGURES = (
    "received",
    "resolved",
    "on_time",
    "followed_up",
    "satisfied",
    "mediated",
    "mediation_succeeded",
    "open",
    "due_soon",
    "overdue",
)
# The monthly mediation report's totals a report gives (labels as on that report).
MEDIATION_FIGURES: tuple[tuple[str, Any], ...] = (
    ("received", _("Disputes received")),
    ("found_in_field", _("Found in screening or by grid workers")),
    ("major", _("Major")),
    ("mediated", _("Mediated")),
    ("succeeded", _("Succeeded")),
    ("partial", _("Of which partial")),
    ("not_mediated", _("Refused or transferred")),
    ("amount", _("Amount involved (yuan)")),
    ("visits_done", _("Follow-up visits done")),
    ("visits_broken", _("Of which broken")),
    ("pending_at_end", _("In mediation at the end")),
)
SNAPSHOT_VERSION = 1


def _listed(cases: QuerySet[Case]) -> list[dict[str, Any]]:
    """Receipt number, title, lead unit and deadline; complaints about staff left out."""
    rows = (
        cases.filter(about_staff__isnull=True, about_unit__isnull=True)
        .select_related("lead_unit")
        .order_by(F("deadline").asc(nulls_last=True), "receipt_number")
    )
    return [
        {
            "receipt_number": case.receipt_number,
            "title": case.title,
            "lead_unit": case.lead_unit.name if case.lead_unit else "",
            "deadline": case.deadline.isoformat() if case.deadline else "",
        }
        for case in rows
    ]


def _categories(scope: Scope) -> list[dict[str, Any]]:
    """Cases received in the period per category, most first."""
    numbers = by_category(received(scope))
    names = Category.objects.in_bulk(list(numbers))
    rows = [
        {"code": names[pk].code, "name": names[pk].name, "count": n} for pk, n in numbers.items()
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["code"]))


def _mediation(user: Any, period: Period) -> dict[str, Any]:
    total = build_report(user, period, MONTHLY).total
    values: dict[str, Any] = {name: getattr(total, name) for name, _label in MEDIATION_FIGURES}
    # Money to the fen, whatever the database gives the sum as (SQLite drops the decimals).
    values["amount"] = str(Decimal(values["amount"]).quantize(Decimal("0.01")))
    return values


def build_snapshot(user: Any, period: Period, today: date) -> dict[str, Any]:
    """The report's numbers and lists over what ``user`` sees, as JSON values."""
    scope = Scope.for_user(user, period, today)
    numbers = counts(scope, REPORT_FIGURES)
    return {
        "version": SNAPSHOT_VERSION,
        "today": today.isoformat(),
        # Lists, not objects: PostgreSQL's jsonb does not keep the order of keys.
        "figures": [[code, numbers[code]] for code in REPORT_FIGURES],
        "rates": [
            [rate.code, rate.counts[0], rate.counts[1], rate.target]
            for rate in rates(scope, numbers)
        ],
        "categories": _categories(scope),
        "mediation": [[name, value] for name, value in _mediation(user, period).items()],
        "overdue": _listed(FIGURES["overdue"].cases(scope)),
        "urgent": _listed(open_cases(scope).filter(is_urgent=True)),
    }


# --- reading it back ---------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    label: str | Promise
    part: int
    whole: int
    target: float | None

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def percent(self) -> str:
        return "—" if self.value is None else f"{self.value:.1%}"

    @property
    def target_percent(self) -> str:
        return "" if self.target is None else f"{self.target:.0%}"


@dataclass(frozen=True)
class Content:
    """A snapshot as labelled rows: what the page, the PDF and the spreadsheet show."""

    as_of: date
    figures: list[tuple[str | Promise, int]]
    rates: list[RateRow]
    categories: list[tuple[str, int]]
    mediation: list[tuple[str | Promise, int | Decimal]]
    overdue: list[dict[str, str]]
    urgent: list[dict[str, str]]


_FIGURE_LABELS = {code: figure.label for code, figure in FIGURES.items()}
_RATE_LABELS = {code: label for code, label, _part, _whole in RATES}
_MEDIATION_LABELS = dict(MEDIATION_FIGURES)


def read_snapshot(snapshot: dict[str, Any]) -> Content:
    """The stored snapshot with today's labels; a code no longer known shows as itself."""
    return Content(
        as_of=date.fromisoformat(snapshot["today"]),
        figures=[(_FIGURE_LABELS.get(code, code), n) for code, n in snapshot["figures"]],
        rates=[
            RateRow(_RATE_LABELS.get(code, code), part, whole, target)
            for code, part, whole, target in snapshot["rates"]
        ],
        categories=[(row["name"], row["count"]) for row in snapshot["categories"]],
        mediation=[
            (_MEDIATION_LABELS.get(name, name), Decimal(value) if name == "amount" else value)
            for name, value in snapshot["mediation"]
        ],
        overdue=snapshot["overdue"],
        urgent=snapshot["urgent"],
    )
