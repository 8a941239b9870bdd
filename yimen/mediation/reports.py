"""The half-monthly screening report and the monthly report to the judicial office.

Both count, per type of dispute, for any period of whole local days:

- **received** (受理): mediations opened in the period;
- **found in screening** (排查发现): of those, cases registered from screening or a grid
  report; **major** (重大): of those, cases flagged major / urgent;
- **mediated** (调解): agreements signed in the period, plus mediations that ended failed
  or with a party's withdrawal in the period — a mediation that was attempted;
- **succeeded** (调解成功): agreements signed in the period, partial ones included (a
  signed 协议书 settles what it covers); **partial** shows how many of them were partial;
- **success rate**: succeeded ÷ mediated (none when nothing was mediated);
- **not mediated**: refused by a party, or transferred outside people's mediation;
- **amount involved** (涉及金额): the sum of the signed agreements' amounts;
- **follow-up visits done** (回访): visits recorded in the period, and how many found the
  agreement broken (which reopens the matter);
- **in mediation at the end**: opened before the period ended and not ended by then.

An agreement's signing is counted from the agreement itself, not from the mediation's
current outcome, so a month already reported does not change when a later follow-up visit
finds the agreement broken and reopens the mediation. Only what the viewer may see counts
(``Mediation.for_user``).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Category, Channel
from yimen.org.models import Unit
from yimen.periods import Period

from .models import AgreementDocument, AgreementStatus, FollowUpVisit, Mediation, Outcome
from .services import committees_for

ENDED_UNAGREED = (Outcome.FAILED, Outcome.WITHDRAWN)
NOT_MEDIATED = (Outcome.REFUSED, Outcome.TRANSFERRED)
FOUND_IN_FIELD = (Channel.SCREENING, Channel.GRID)

MONTHLY = "monthly"
HALF_MONTHLY = "half_monthly"


@dataclass
class Counts:
    received: int = 0
    found_in_field: int = 0
    major: int = 0
    mediated: int = 0
    succeeded: int = 0
    partial: int = 0
    not_mediated: int = 0
    amount: Decimal = Decimal("0")
    visits_done: int = 0
    visits_broken: int = 0
    pending_at_end: int = 0

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.mediated if self.mediated else None

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Line:
    label: str | Promise
    counts: Counts = field(default_factory=Counts)


@dataclass
class MediationReport:
    kind: str
    period: Period
    by_type: list[Line]
    by_committee: list[Line]
    total: Counts

    @property
    def title(self) -> Promise:
        return REPORT_TITLES[self.kind]


REPORT_TITLES = {
    MONTHLY: _("Monthly report on people's mediation (人民调解工作月报)"),
    HALF_MONTHLY: _("Half-monthly dispute screening report (矛盾纠纷排查调处半月报)"),
}


def build_report(user: Any, period: Period, kind: str = MONTHLY) -> MediationReport:
    """Count the period per type of dispute and per committee, with one query per source."""
    mediations = Mediation.objects.for_user(user)
    keys = ("case__category", "committee")
    counts: dict[tuple[str, int], Counts] = defaultdict(Counts)

    def grouped(queryset, prefix: str = "", **aggregates):
        names = tuple(prefix + key for key in keys)
        for row in queryset.values(*names).annotate(**aggregates).order_by():
            yield {key: row[prefix + key] for key in keys} | row

    received = mediations.filter(period.contains("opened_at"))
    for row in grouped(
        received,
        n=Count("pk"),
        field=Count("pk", filter=Q(case__channel__in=FOUND_IN_FIELD)),
        major=Count("pk", filter=Q(case__is_urgent=True)),
    ):
        for key in keys:
            c = counts[(key, row[key])]
            c.received += row["n"]
            c.found_in_field += row["field"]
            c.major += row["major"]

    agreements = AgreementDocument.objects.filter(
        mediation__in=mediations.values("pk"),
        status=AgreementStatus.SIGNED,
    ).filter(period.contains("signed_at"))
    for row in grouped(
        agreements,
        "mediation__",
        n=Count("pk"),
        partial=Count("pk", filter=Q(is_partial=True)),
        amount=Sum("amount"),
    ):
        for key in keys:
            c = counts[(key, row[key])]
            c.succeeded += row["n"]
            c.mediated += row["n"]
            c.partial += row["partial"]
            c.amount += row["amount"] or Decimal("0")

    ended = mediations.filter(period.contains("concluded_at"))
    for row in grouped(
        ended,
        unagreed=Count("pk", filter=Q(outcome__in=ENDED_UNAGREED)),
        not_mediated=Count("pk", filter=Q(outcome__in=NOT_MEDIATED)),
    ):
        for key in keys:
            c = counts[(key, row[key])]
            c.mediated += row["unagreed"]
            c.not_mediated += row["not_mediated"]

    visits = FollowUpVisit.objects.filter(
        period.contains("done_at"), mediation__in=mediations.values("pk")
    )
    broken = Count("pk", filter=Q(reopened=True))
    for row in grouped(visits, "mediation__", n=Count("pk"), broken=broken):
        for key in keys:
            c = counts[(key, row[key])]
            c.visits_done += row["n"]
            c.visits_broken += row["broken"]

    pending = mediations.filter(opened_at__lt=period.ends_at).filter(
        Q(concluded_at__isnull=True) | Q(concluded_at__gte=period.ends_at)
    )
    for row in grouped(pending, n=Count("pk")):
        for key in keys:
            counts[(key, row[key])].pending_at_end += row["n"]

    return _assemble(user, kind, period, counts)


def _assemble(
    user: Any, kind: str, period: Period, counts: dict[tuple[str, int], Counts]
) -> MediationReport:
    """Lines for every type of dispute and every committee (zeros included, as the paper
    form lists them all), then any other type that was counted; the total of the types."""
    counted = {pk for key, pk in counts if key == "case__category"}
    categories = Category.objects.filter(Q(is_dispute=True, is_active=True) | Q(pk__in=counted))
    by_type = [Line(c.name, counts.get(("case__category", c.pk), Counts())) for c in categories]
    counted = {pk for key, pk in counts if key == "committee"}
    committees = Unit.objects.filter(
        Q(pk__in=committees_for(user).values("pk")) | Q(pk__in=counted)
    ).order_by("jurisdiction__path", "name")
    by_committee = [Line(u.name, counts.get(("committee", u.pk), Counts())) for u in committees]
    total = Counts()
    for line in by_type:
        total.add(line.counts)
    return MediationReport(kind, period, by_type, by_committee, total)
