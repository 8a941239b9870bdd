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
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, FollowUp, Satisfaction, Status
from yimen.cases.workflow import OPEN
from yimen.mediation.models import AgreementDocument, AgreementStatus, Mediation, Outcome
from yimen.periods import Period
from yimen.supervision.windows import Window, current_window

RESOLVED_STATES = (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


@dataclass(frozen=True)
class Scope:
    """Whose cases, which period, and which day is today."""

    cases: QuerySet[Case]
    period: Period
    today: date

    @classmethod
    def for_user(cls, user: Any, period: Period, today: date) -> "Scope":
        # A report merged into another case is one matter, counted once, in that case.
        return cls(Case.objects.for_user(user).exclude(status=Status.MERGED), period, today)

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
    return scope.cases.filter(period.contains("received_at"))


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


def _followed_up(scope: Scope, condition: Q) -> QuerySet[Case]:
    follow_ups = FollowUp.objects.filter(scope.period.contains("at"), condition)
    return scope.cases.filter(pk__in=follow_ups.values("case_id"))


def followed_up(scope: Scope) -> QuerySet[Case]:
    return _followed_up(scope, Q())


def satisfied(scope: Scope) -> QuerySet[Case]:
    return _followed_up(scope, Q(satisfaction__in=SATISFIED))


def _signed_in(scope: Scope) -> QuerySet[AgreementDocument]:
    return AgreementDocument.objects.filter(
        scope.period.contains("signed_at"), status=AgreementStatus.SIGNED
    )


def mediation_succeeded(scope: Scope) -> QuerySet[Case]:
    return scope.cases.filter(mediation__in=_signed_in(scope).values("mediation_id"))


def mediated(scope: Scope) -> QuerySet[Case]:
    ended = Mediation.objects.filter(
        scope.period.contains("concluded_at"), outcome__in=(Outcome.FAILED, Outcome.WITHDRAWN)
    )
    return scope.cases.filter(
        Q(mediation__in=_signed_in(scope).values("mediation_id"))
        | Q(mediation__in=ended.values("pk"))
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


def count(scope: Scope, code: str) -> int:
    return FIGURES[code].cases(scope).count()


def counts(scope: Scope, codes: tuple[str, ...] | None = None) -> dict[str, int]:
    """Each figure's number: one COUNT each, every one over its own index."""
    return {code: count(scope, code) for code in (codes or tuple(FIGURES))}


def rates(scope: Scope, numbers: dict[str, int]) -> list[Rate]:
    goal = targets()
    return [
        Rate(code, label, part, whole, (numbers[part], numbers[whole]), goal.get(code))
        for code, label, part, whole in RATES
    ]


# --- breakdowns --------------------------------------------------------------------------


def by_category(cases: QuerySet[Case]) -> dict[int, int]:
    """Category pk → number of ``cases``."""
    rows = cases.order_by().values("category").annotate(n=Count("pk"))
    return {row["category"]: row["n"] for row in rows}


def by_place(cases: QuerySet[Case]) -> dict[int, int]:
    """Jurisdiction pk (the grid, or a higher node for a case not placed in a grid) → number."""
    rows = cases.order_by().values("jurisdiction").annotate(n=Count("pk"))
    return {row["jurisdiction"]: row["n"] for row in rows}


def weekly(scope: Scope, weeks: int = 12) -> list[tuple[Period, int]]:
    """Cases received in each of the last ``weeks`` weeks, this week last (one query)."""
    first = scope.this_week.start - timedelta(days=7 * (weeks - 1))
    spans = [Period(first + timedelta(days=7 * i), first + timedelta(days=7 * i + 6))
             for i in range(weeks)]  # fmt: skip
    within = scope.cases.filter(Period(spans[0].start, spans[-1].end).contains("received_at"))
    numbers = within.order_by().aggregate(
        **{
            f"w{i}": Count("pk", filter=span.contains("received_at"))
            for i, span in enumerate(spans)
        }
    )
    return [(span, numbers[f"w{i}"]) for i, span in enumerate(spans)]
