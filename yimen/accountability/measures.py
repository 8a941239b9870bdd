"""Staff accountability (责任追究): what each unit and staff member did with the matters.

Every number here counts the staff's handling of matters — never the residents who
brought them (DESIGN.md §1). The numbers come from the case timeline (``CaseEvent``), so a
past period reads as it was then, not as the cases stand today:

- the unit a timeline entry counts for is the **lead unit in force** at that moment: the
  unit of the case's latest ``routed`` entry before it (routing is the only way a case gets
  a lead unit; returning and escalating take it away until the next routing);
- the **deadline in force** is the one set by the latest routing, extension, recount or
  reopening before that moment;
- days are local days (``TIME_ZONE``), and a period ``[start, end]`` includes both days.

Each measure is one queryset of the rows it counts (timeline entries, follow-ups or cases)
annotated with the unit and the person they count for. The tables count those querysets
with one grouped query per source, and the drill-down lists the same querysets, so a number
always equals the list behind it. Only cases the viewer may see count
(``Case.objects.for_user``: jurisdiction, and recusal from complaints about themselves).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models import Case as Choose
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, CaseEvent, FollowUp, Satisfaction, Status
from yimen.cases.workflow import HANDLING
from yimen.periods import Period, local_midnight

# Timeline actions, as ``yimen.cases.workflow`` writes them.
RESOLUTIONS = ("resolved", "closed_on_the_spot")
REOPENINGS = ("reopened", "reopened_after_follow_up")
DEADLINE_SET = ("routed", "reopened", "reopened_after_follow_up")  # data["deadline"]: a date
DEADLINE_MOVED = ("extension_approved", "deadline_recomputed")  # data["deadline"]: [old, new]
# The states in which a case sits with a lead unit and a running deadline.
WITH_LEAD_UNIT = frozenset({Status.ROUTED}) | HANDLING


# --- the period ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose view, which period, and which day is today (for what is still open)."""

    user: Any
    period: Period
    today: date

    @property
    def as_of(self) -> date | None:
        """The day open cases are judged on: the period's last day, or today if earlier.

        None when the period has not begun: nothing can be open in it yet.
        """
        day = min(self.period.end, self.today)
        return day if day >= self.period.start else None

    def cases(self) -> QuerySet[Case]:
        return Case.objects.for_user(self.user)


# --- the timeline, as it stood at a moment -----------------------------------------------


def _before_entry() -> Q:
    """Timeline entries before the outer entry; same-instant ties go by the order written."""
    return Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))


def _latest(case_ref: Any, before: Q, actions: Iterable[str]) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(before, case=case_ref, action__in=tuple(actions)).order_by(
        "-at", "-pk"
    )


def lead_unit_at(case_ref: Any, before: Q) -> Subquery:
    """The case's lead unit at that moment: the unit of its latest routing before it."""
    latest = _latest(case_ref, before, ["routed"]).annotate(
        routed_unit=Cast(KeyTextTransform("unit", "data"), IntegerField())
    )
    return Subquery(latest.values("routed_unit")[:1], output_field=IntegerField())


def deadline_at(case_ref: Any, before: Q) -> Cast:
    """The deadline in force at that moment, from the latest entry that set or moved it."""
    value = Choose(
        When(
            action__in=DEADLINE_MOVED,
            then=KeyTextTransform("1", KeyTransform("deadline", "data")),
        ),
        default=KeyTextTransform("deadline", "data"),
    )
    latest = _latest(case_ref, before, DEADLINE_SET + DEADLINE_MOVED).annotate(set_to=value)
    return Cast(Subquery(latest.values("set_to")[:1]), DateField())


def actor_of_latest(case_ref: Any, before: Q, actions: Iterable[str]) -> Subquery:
    """Who wrote the case's latest entry of these kinds before that moment."""
    latest = _latest(case_ref, before, actions)
    return Subquery(latest.values("actor_id")[:1], output_field=IntegerField())


def _status_at(case_ref: Any, before: Q) -> Subquery:
    """Every entry records the status the case had after it: the latest one is the state."""
    latest = CaseEvent.objects.filter(before, case=case_ref).order_by("-at", "-pk")
    return Subquery(latest.values("to_status")[:1])


def _local_day(expression: str) -> TruncDate:
    return TruncDate(expression, tzinfo=timezone.get_current_timezone())


# --- the sources: what is counted ----------------------------------------------------------
#
# Each source gives the rows it counts, annotated with ``acc_unit`` (the unit they count
# for), ``acc_person`` (the staff member) and ``acc_deadline`` where a deadline matters.


def resolutions(scope: Scope) -> QuerySet[CaseEvent]:
    """Results submitted in the period (办结): ``resolved``, and cases settled on the spot.

    Counted once per result: a case whose result is rejected and which is resolved again
    in the period counts twice, because it was handled twice (the reopening counts on its
    own). The unit is the lead unit in force; the person is who submitted the result.
    ``acc_late`` is true when the local day of submission is after the deadline in force;
    a case settled on the spot had no deadline and is on time.
    """
    return (
        CaseEvent.objects.filter(
            scope.period.contains(), action__in=RESOLUTIONS, case__in=scope.cases().values("pk")
        )
        .annotate(
            acc_unit=lead_unit_at(OuterRef("case_id"), _before_entry()),
            acc_person=F("actor_id"),
            acc_deadline=deadline_at(OuterRef("case_id"), _before_entry()),
            acc_day=_local_day("at"),
        )
        .annotate(
            acc_late=Choose(
                When(acc_deadline__lt=F("acc_day"), then=True),
                default=False,
                output_field=BooleanField(),
            )
        )
    )


def open_past_deadline(scope: Scope) -> QuerySet[Case]:
    """Cases still open past their deadline at the end of the period (or today, if sooner).

    Open means sitting with a lead unit (assigned, accepted, in progress, extended,
    reopened) at the end of that day; past deadline means the deadline then in force is
    before that day — what the case list's "overdue" filter said on it. A case overdue for
    months counts in every period until it is resolved: it is still owed. The unit is the
    lead unit then; the person is who accepted it, if it was accepted.
    """
    as_of = scope.as_of or scope.period.start
    end = local_midnight(as_of + timedelta(days=1))
    before = Q(at__lt=end)
    # Most cases were settled long ago: a case closed (or resolved) before that moment and
    # not reopened since still has that close as its latest, so skip it before the
    # timeline subqueries run. A reopening clears both times, so nothing open is skipped.
    settled_before = Q(
        status__in=[Status.CLOSED, Status.ARCHIVED, Status.TRANSFERRED_OUT], closed_at__lt=end
    ) | Q(status=Status.RESOLVED, resolved_at__lt=end)
    rows = (
        scope.cases()
        .filter(assigned_on__isnull=False, received_at__lt=end)
        .exclude(settled_before)
        .annotate(
            acc_status=_status_at(OuterRef("pk"), before),
            acc_unit=lead_unit_at(OuterRef("pk"), before),
            acc_deadline=deadline_at(OuterRef("pk"), before),
        )
        .filter(acc_status__in=list(WITH_LEAD_UNIT), acc_deadline__lt=as_of)
        .annotate(
            acc_person=Choose(
                When(
                    acc_status__in=list(HANDLING),
                    then=actor_of_latest(OuterRef("pk"), before, ["accepted"]),
                ),
                default=None,
                output_field=IntegerField(),
            )
        )
    )
    return rows if scope.as_of else rows.none()


def returns(scope: Scope) -> QuerySet[CaseEvent]:
    """Cases sent back to the director (退回) in the period, by the unit and who did it.

    A unit that returns what was its to handle delays the resident; a return that was
    right (the wrong unit was chosen) still shows here, and the list says why.
    """
    return CaseEvent.objects.filter(
        scope.period.contains(), action="returned", case__in=scope.cases().values("pk")
    ).annotate(
        acc_unit=lead_unit_at(OuterRef("case_id"), _before_entry()),
        acc_person=F("actor_id"),
    )


def reopenings(scope: Scope) -> QuerySet[CaseEvent]:
    """Results rejected in the period: re-handling ordered, or reopened after a follow-up.

    They count for the lead unit in force and for whoever submitted the rejected result
    (the latest resolution before the reopening), not for the supervisor who reopened.
    """
    return CaseEvent.objects.filter(
        scope.period.contains(), action__in=REOPENINGS, case__in=scope.cases().values("pk")
    ).annotate(
        acc_unit=lead_unit_at(OuterRef("case_id"), _before_entry()),
        acc_person=actor_of_latest(OuterRef("case_id"), _before_entry(), RESOLUTIONS),
    )


def dissatisfied_follow_ups(scope: Scope) -> QuerySet[FollowUp]:
    """Follow-ups (回访) in the period in which the resident was dissatisfied.

    Whether the case was reopened or kept closed with a reason; a reopening counts again
    under "reopened". They count for the lead unit in force and for whoever submitted the
    result the resident judged.
    """
    before = Q(at__lte=OuterRef("at"))
    return FollowUp.objects.filter(
        scope.period.contains(),
        satisfaction=Satisfaction.DISSATISFIED,
        case__in=scope.cases().values("pk"),
    ).annotate(
        acc_unit=lead_unit_at(OuterRef("case_id"), before),
        acc_person=actor_of_latest(OuterRef("case_id"), before, RESOLUTIONS),
    )


def complaints(scope: Scope) -> QuerySet[Case]:
    """Complaints about staff (投诉工作人员) received in the period, retaliation included.

    Counted when received, whatever came of them (the list shows their status): against
    the unit complained about, and against the staff member named and their unit. Nobody
    sees a complaint about themselves or their own unit (recusal), so neither do they
    count it here.
    """
    return scope.cases().filter(
        Q(about_unit__isnull=False) | Q(about_staff__isnull=False),
        category__is_staff_complaint=True,
        received_at__gte=scope.period.starts_at,
        received_at__lt=scope.period.ends_at,
    )


# --- the measures: what the tables show ---------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One column: the rows of ``source`` matching ``only``, counted per unit and person.

    ``unit_key`` / ``person_key`` name the annotation or field that says which unit and
    which staff member a row counts for; None leaves the measure out of that table.
    """

    code: str
    label: Any
    source: Callable[[Scope], QuerySet]
    only: Q = field(default_factory=Q)
    unit_key: str | None = "acc_unit"
    person_key: str | None = "acc_person"
    person_label: Any = None
    parts: tuple[str, ...] = ()  # a sum of other measures, listed together

    @property
    def staff_label(self) -> Any:
        return self.person_label or self.label


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in [
        Measure("handled", _("Handled"), resolutions),
        Measure("on_time", _("On time"), resolutions, Q(acc_late=False)),
        Measure("overdue", _("Overdue"), resolutions, parts=("resolved_late", "open_overdue")),
        Measure("resolved_late", _("Resolved late"), resolutions, Q(acc_late=True)),
        Measure("open_overdue", _("Still open past deadline"), open_past_deadline),
        Measure("returned", _("Returned"), returns),
        Measure("reopened", _("Reopened"), reopenings),
        Measure("dissatisfied", _("Dissatisfied follow-ups"), dissatisfied_follow_ups),
        Measure(
            "complaints_unit",
            _("Complaints about the unit"),
            complaints,
            Q(about_unit__isnull=False),
            unit_key="about_unit_id",
            person_key=None,
        ),
        Measure(
            "complaints_staff",
            _("Complaints about its staff"),
            complaints,
            Q(about_staff__isnull=False),
            unit_key="about_staff__unit_id",
            person_key="about_staff_id",
            person_label=_("Complaints about them"),
        ),
    ]
}


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide (shown as "—")."""
    return part / whole if whole else None


@dataclass
class Tally:
    """The counts of one unit or one staff member, by measure code."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __getitem__(self, code: str) -> int:
        measure = MEASURES[code]
        if measure.parts:
            return sum(self[part] for part in measure.parts)
        return self.counts[code]

    @property
    def on_time_rate(self) -> float | None:
        return rate(self["on_time"], self["handled"])

    def is_empty(self) -> bool:
        return not any(self.counts.values())


@dataclass
class Tallies:
    units: dict[int, Tally]
    people: dict[int, Tally]


def tally(scope: Scope) -> Tallies:
    """Every measure for every unit and staff member: one grouped query per source."""
    units: dict[int, Tally] = defaultdict(Tally)
    people: dict[int, Tally] = defaultdict(Tally)
    by_source: dict[Callable, list[Measure]] = defaultdict(list)
    for measure in MEASURES.values():
        if not measure.parts:
            by_source[measure.source].append(measure)
    for source, measures in by_source.items():
        keys = sorted({k for m in measures for k in (m.unit_key, m.person_key) if k})
        counts = {m.code: Count("pk", filter=m.only) for m in measures}
        for row in source(scope).order_by().values(*keys).annotate(**counts):
            for m in measures:
                if m.unit_key and row[m.unit_key] is not None:
                    units[row[m.unit_key]].counts[m.code] += row[m.code]
                if m.person_key and row[m.person_key] is not None:
                    people[row[m.person_key]].counts[m.code] += row[m.code]
    return Tallies(units=dict(units), people=dict(people))


def rows_of(
    measure: Measure,
    scope: Scope,
    *,
    units: Iterable[int] | QuerySet = (),
    person: int | None = None,
) -> list[QuerySet]:
    """The rows behind one number: one queryset per part, narrowed to units or a person.

    ``units`` are the unit ids of the table row (one unit, or every unit of the table for
    its total); ``person`` a staff member's id.
    """
    parts = [MEASURES[code] for code in measure.parts] or [measure]
    result = []
    for part in parts:
        rows = part.source(scope).filter(part.only)
        if person is not None:
            rows = rows.filter(**{part.person_key: person}) if part.person_key else rows.none()
        else:
            rows = rows.filter(**{f"{part.unit_key}__in": units})
        result.append(rows)
    return result
