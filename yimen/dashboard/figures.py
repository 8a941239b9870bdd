"""The figures a center is run on, each defined once as the cases behind it.

A figure is a named queryset of cases over a :class:`Scope` — the cases a viewer may see
(or, for the public page, the whole center), a period and today. Its number is that
queryset's count and its list is that queryset, so a number on the dashboard always equals
the list it clicks through to. Rates are one figure over another. The dashboard, the
public statistics, the periodic reports and the meeting agenda all read these functions.

Definitions (periods are whole local days, see ``yimen.periods``):

- **open**: in any open state; **overdue**: open with the deadline before today;
  **due soon**: open, due today or within the reminder window
  (``YIMEN_REMIND_WORKING_DAYS_BEFORE`` working days, as the supervision desk counts it);
- **received**: received in the period (this week / last week: Monday to Sunday);
- **resolved**: resolved in the period, with a deadline; **on time**: of those, resolved
  on or before the deadline (local date). Rate: on time ÷ resolved;
- **followed up**: cases with a follow-up in the period; **satisfied**: with a satisfied
  or basically satisfied follow-up in the period. Rate: satisfied ÷ followed up;
- **mediated**: cases whose mediation signed an agreement, or ended without one or by a
  party's withdrawal, in the period; **mediation succeeded**: with an agreement signed
  in the period (partial included). Rate: succeeded ÷ mediated — the rule of the monthly
  mediation report (``yimen.mediation.reports``), counted per case.

How they are counted: *received* (and this week, last week), *resolved* and *on time* are
sums over the daily roll-up (``rollups``), kept exact in the transaction of every change to
a case, so they cost the same at a million cases as at a thousand; a scope the roll-up
cannot express (a handling unit's staff) counts them live. Open, due soon and overdue
count the few open cases live. The per-case figures (followed up, satisfied, mediated) are
counted live from the period's follow-ups and agreements, then the cases by primary key.
Either way the number is the size of the list it links to: the roll-up is checked against
the live queries in ``tests/test_rollups.py``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Count, Expression, F, Q, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, FollowUp, Satisfaction, Status
from yimen.cases.scoping import subtree_less_recused
from yimen.cases.workflow import OPEN
from yimen.mediation.models import AgreementDocument, AgreementStatus, Mediation, Outcome
from yimen.periods import Period
from yimen.supervision.windows import Window, current_window

from . import rollups
from .rollups import RESOLVED_STATES, Countable

SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


@dataclass(frozen=True)
class Scope:
    """Whose cases, which period, and which day is today."""

    cases: QuerySet[Case]
    period: Period
    today: date
    # The same cases as the roll-up can sum them; None: it cannot, the live queries count.
    countable: Countable | None = None

    @classmethod
    def for_user(cls, user: Any, period: Period, today: date) -> "Scope":
        # A report merged into another case is one matter, counted once, in that case.
        cases = Case.objects.for_user(user).exclude(status=Status.MERGED)
        seen = subtree_less_recused(user)
        countable = Countable(seen[0], tuple(seen[1]), seen[2]) if seen else None
        return cls(cases, period, today, countable)

    @classmethod
    def center(cls, period: Period, today: date) -> "Scope":
        """Every case of the center: the public statistics."""
        return cls(Case.objects.exclude(status=Status.MERGED), period, today, Countable(None))

    @cached_property
    def window(self) -> Window:
        return current_window(self.today)

    @property
    def this_week(self) -> Period:
        monday = self.today - timedelta(days=self.today.weekday())
        return Period(monday, monday + timedelta(days=6))

    @property
    def last_week(self) -> Period:
        monday = self.this_week.start - timedelta(days=7)
        return Period(monday, monday + timedelta(days=6))


def open_cases(scope: Scope) -> QuerySet[Case]:
    return scope.cases.filter(status__in=OPEN)


def overdue(scope: Scope) -> QuerySet[Case]:
    return open_cases(scope).filter(deadline__lt=scope.today)


def due_soon(scope: Scope) -> QuerySet[Case]:
    window = scope.window
    return open_cases(scope).filter(
        deadline__gte=scope.today, deadline__lte=window.approaching_until
    )


def received_in(scope: Scope, period: Period) -> QuerySet[Case]:
    cases = scope.cases.filter(period.contains("received_at"))
    # What ``by_category`` and ``by_place`` sum from the roll-up instead of grouping these
    # cases. Any narrowing (``filter``, ``exclude``…) returns a copy without it.
    cases._received_in = (scope, period)  # type: ignore[attr-defined]
    return cases


def received(scope: Scope) -> QuerySet[Case]:
    return received_in(scope, scope.period)


def resolved(scope: Scope) -> QuerySet[Case]:
    return scope.cases.filter(
        scope.period.contains("resolved_at"),
        status__in=RESOLVED_STATES,
        deadline__isnull=False,
    )


def on_time(scope: Scope) -> QuerySet[Case]:
    return resolved(scope).filter(resolved_at__date__lte=F("deadline"))


class _AmongFew(Expression):
    """``pk IN (subquery)`` for a subquery of a few thousand case ids (a period's follow-ups
    or agreements), planned from that side.

    PostgreSQL otherwise may hash the subquery and walk every case of the viewer's places
    to probe it (a month's follow-ups against a million cases: 145 ms). As
    ``pk = ANY(ARRAY(subquery))`` the ids are read first, then the cases by primary key
    (30 ms). SQLite already plans ``IN`` that way.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, ids: QuerySet[Any]) -> None:
        super().__init__()
        self.pk, self.ids = F("pk"), Subquery(ids.order_by())  # a set: no sorting

    def get_source_expressions(self) -> list[Any]:
        return [self.pk, self.ids]

    def set_source_expressions(self, expressions: list[Any]) -> None:
        self.pk, self.ids = expressions

    def as_sql(self, compiler: Any, connection: Any, template: str = "%s IN %s") -> Any:
        pk, pk_params = compiler.compile(self.pk)
        ids, ids_params = compiler.compile(self.ids)
        return template % (pk, ids), (*pk_params, *ids_params)

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        return self.as_sql(compiler, connection, template="%s = ANY(ARRAY%s)")


def _followed_up(scope: Scope, condition: Q) -> QuerySet[Case]:
    follow_ups = FollowUp.objects.filter(scope.period.contains("at"), condition)
    return scope.cases.filter(_AmongFew(follow_ups.values("case_id")))


def followed_up(scope: Scope) -> QuerySet[Case]:
    return _followed_up(scope, Q())


def satisfied(scope: Scope) -> QuerySet[Case]:
    return _followed_up(scope, Q(satisfaction__in=SATISFIED))


def _signed_in(scope: Scope) -> QuerySet[AgreementDocument]:
    return AgreementDocument.objects.filter(
        scope.period.contains("signed_at"), status=AgreementStatus.SIGNED
    )


def mediation_succeeded(scope: Scope) -> QuerySet[Case]:
    return scope.cases.filter(_AmongFew(_signed_in(scope).values("mediation__case_id")))


def mediated(scope: Scope) -> QuerySet[Case]:
    ended = Mediation.objects.filter(
        scope.period.contains("concluded_at"), outcome__in=(Outcome.FAILED, Outcome.WITHDRAWN)
    )
    return scope.cases.filter(
        Q(_AmongFew(_signed_in(scope).values("mediation__case_id")))
        | Q(_AmongFew(ended.values("case_id")))
    )


@dataclass(frozen=True)
class Figure:
    label: str | Promise
    cases: Callable[[Scope], QuerySet[Case]]


FIGURES: dict[str, Figure] = {
    "open": Figure(_("Open"), open_cases),
    "due_soon": Figure(_("Due soon"), due_soon),
    "overdue": Figure(_("Overdue"), overdue),
    "received": Figure(_("Received in the period"), received),
    "this_week": Figure(_("Received this week"), lambda s: received_in(s, s.this_week)),
    "last_week": Figure(_("Received last week"), lambda s: received_in(s, s.last_week)),
    "resolved": Figure(_("Resolved with a deadline"), resolved),
    "on_time": Figure(_("Resolved on time"), on_time),
    "followed_up": Figure(_("Followed up"), followed_up),
    "satisfied": Figure(_("Satisfied"), satisfied),
    "mediated": Figure(_("Mediated"), mediated),
    "mediation_succeeded": Figure(_("Mediation succeeded"), mediation_succeeded),
}


@dataclass(frozen=True)
class Rate:
    """A share with what it rests on; ``value`` is None when nothing was counted."""

    code: str
    label: str | Promise
    numerator: str
    denominator: str
    counts: tuple[int, int]
    target: float | None

    @property
    def value(self) -> float | None:
        part, whole = self.counts
        return part / whole if whole else None

    @property
    def percent(self) -> str:
        return "—" if self.value is None else f"{self.value:.1%}"

    @property
    def target_percent(self) -> str:
        return "" if self.target is None else f"{self.target:.0%}"

    @property
    def meets_target(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


RATES = (
    ("on_time", _("On-time rate"), "on_time", "resolved"),
    ("mediation_success", _("Mediation success rate"), "mediation_succeeded", "mediated"),
    ("satisfaction", _("Satisfaction rate"), "satisfied", "followed_up"),
)


def targets() -> dict[str, float]:
    """The targets the rates are held to (``YIMEN_TARGETS``; defaults from the regulations)."""
    return settings.YIMEN_TARGETS


# The figures the roll-up sums: which of its counts, over which period of the scope.
ROLLED_UP: dict[str, Callable[[Scope], tuple[str, Period]]] = {
    "received": lambda s: ("received", s.period),
    "this_week": lambda s: ("received", s.this_week),
    "last_week": lambda s: ("received", s.last_week),
    "resolved": lambda s: ("resolved", s.period),
    "on_time": lambda s: ("on_time", s.period),
}


def count(scope: Scope, code: str) -> int:
    return counts(scope, (code,))[code]


def counts(scope: Scope, codes: tuple[str, ...] | None = None) -> dict[str, int]:
    """Each figure's number: the rolled-up ones summed together (two queries), each other
    one a COUNT over its own index."""
    codes = codes or tuple(FIGURES)
    rolled = {code: ROLLED_UP[code](scope) for code in codes if code in ROLLED_UP}
    numbers = rollups.totals(scope.countable, rolled) if rolled and scope.countable else {}
    return {
        code: numbers[code] if code in numbers else FIGURES[code].cases(scope).count()
        for code in codes
    }


def rates(scope: Scope, numbers: dict[str, int]) -> list[Rate]:
    goal = targets()
    return [
        Rate(code, label, part, whole, (numbers[part], numbers[whole]), goal.get(code))
        for code, label, part, whole in RATES
    ]


# --- breakdowns --------------------------------------------------------------------------


def _grouped(cases: QuerySet[Case], by: str) -> dict[int, int]:
    received = getattr(cases, "_received_in", None)
    if received is not None and received[0].countable is not None:
        scope, period = received
        return rollups.received_by(scope.countable, period, by)
    rows = cases.order_by().values(by).annotate(n=Count("pk"))
    return {row[by]: row["n"] for row in rows}


def by_category(cases: QuerySet[Case]) -> dict[int, int]:
    """Category pk → number of ``cases`` (from the roll-up for ``received_in`` as it is)."""
    return _grouped(cases, "category")


def by_place(cases: QuerySet[Case]) -> dict[int, int]:
    """Jurisdiction pk (the grid, or a higher node for a case not placed in a grid) → number."""
    return _grouped(cases, "jurisdiction")


def weekly(scope: Scope, weeks: int = 12) -> list[tuple[Period, int]]:
    """Cases received in each of the last ``weeks`` weeks, this week last (one query, or
    two from the roll-up)."""
    first = scope.this_week.start - timedelta(days=7 * (weeks - 1))
    spans = [Period(first + timedelta(days=7 * i), first + timedelta(days=7 * i + 6))
             for i in range(weeks)]  # fmt: skip
    if scope.countable is not None:
        numbers = rollups.totals(
            scope.countable, {f"w{i}": ("received", span) for i, span in enumerate(spans)}
        )
        return [(span, numbers[f"w{i}"]) for i, span in enumerate(spans)]
    within = scope.cases.filter(Period(spans[0].start, spans[-1].end).contains("received_at"))
    numbers = within.order_by().aggregate(
        **{
            f"w{i}": Count("pk", filter=span.contains("received_at"))
            for i, span in enumerate(spans)
        }
    )
    return [(span, numbers[f"w{i}"]) for i, span in enumerate(spans)]
