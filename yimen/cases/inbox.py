"""'My work' (我的待办): what waits for a user, section by section, soonest deadline first.

Each section is what the workflow would let this user do next (``workflow.TRANSITIONS``):
the director routes and closes, a unit accepts and handles, the supervising level decides
extensions, the front desk follows up. Every query starts from ``Case.objects.for_user``,
so a section can never hold a case the user may not see.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yimen.org.models import Role

from .models import Case, Complexity, ExtensionRequest, ExtensionStatus, FollowUp, Status
from .workflow import HANDLING, OPEN, ROUTABLE

S = Status
# Not finished from the handler's point of view: open, or resolved and waiting to be closed.
ACTIVE = OPEN | {S.RESOLVED}
NOT_YET_ACCEPTED = (S.REGISTERED, S.ROUTED)


# A section shows this many cases, soonest deadline first; a director's street can have
# ten thousand open, and a page of all of them took seconds and hundreds of megabytes.
SECTION_ROWS = 25
# ... and counts the rest up to this many: an exact count of a street's sixty thousand
# cases in progress took most of a second at ten million cases, and tells nobody more.
SECTION_COUNT_UP_TO = 1000


@dataclass
class Section:
    key: str
    title: str | Promise
    cases: list[Case] = field(default_factory=list)
    total: int | None = None  # counted only when there are more than SECTION_ROWS

    @property
    def count(self) -> int:
        return len(self.cases) if self.total is None else min(self.total, SECTION_COUNT_UP_TO)

    @property
    def capped(self) -> bool:
        """More cases than were counted: the count reads "1000+"."""
        return self.total is not None and self.total > SECTION_COUNT_UP_TO

    @property
    def more(self) -> bool:
        return self.count > len(self.cases)

    @classmethod
    def of(cls, key: str, title: str | Promise, cases: QuerySet[Case]) -> "Section":
        first = list(cases[: SECTION_ROWS + 1])
        if len(first) <= SECTION_ROWS:
            return cls(key, title, first)
        total = cases.order_by()[: SECTION_COUNT_UP_TO + 1].count()
        return cls(key, title, first[:SECTION_ROWS], total=total)


def _visible(user: Any) -> QuerySet[Case]:
    return Case.objects.for_user(user).select_related("category", "jurisdiction", "lead_unit")


def _by_deadline(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Soonest deadline first; cases without one after them, oldest first."""
    return cases.order_by(F("deadline").asc(nulls_last=True), "received_at", "pk")


def _handled_by(unit_id: int) -> Any:
    co = Case.co_units.through.objects.filter(case=OuterRef("pk"), unit_id=unit_id)
    return Q(lead_unit_id=unit_id) | Exists(co)


# --- the sections, one query each ------------------------------------------------------------


def routing_queue(user: Any) -> QuerySet[Case]:
    """分流: registered, returned and escalated cases waiting for the director; urgent first."""
    if user.role != Role.DIRECTOR:
        return Case.objects.none()
    return _visible(user).filter(status__in=ROUTABLE).order_by("-is_urgent", "received_at", "pk")


def extensions_to_decide(user: Any) -> QuerySet[Case]:
    """Cases with a pending extension request this user decides.

    The supervising level (director, supervisor) decides ordinary cases; a leader case is
    decided by a leader other than its own (DESIGN.md §3).
    """
    pending = ExtensionRequest.objects.filter(case=OuterRef("pk"), status=ExtensionStatus.PENDING)
    cases = _visible(user).filter(Exists(pending), status__in=HANDLING)
    if user.role in (Role.DIRECTOR, Role.SUPERVISOR):
        cases = cases.exclude(complexity=Complexity.LEADER)
    elif user.role == Role.LEADER:
        cases = cases.filter(complexity=Complexity.LEADER).exclude(leader=user)
    else:
        return Case.objects.none()
    return _by_deadline(cases)


def to_close(user: Any) -> QuerySet[Case]:
    """销案: results submitted by the units, for the director or supervisor to close."""
    if user.role not in (Role.DIRECTOR, Role.SUPERVISOR):
        return Case.objects.none()
    return _by_deadline(_visible(user).filter(status=S.RESOLVED))


def urgent_open(user: Any) -> QuerySet[Case]:
    return _by_deadline(_visible(user).filter(is_urgent=True, status__in=OPEN))


def overdue(user: Any, today: date) -> QuerySet[Case]:
    return _by_deadline(_visible(user).filter(status__in=OPEN, deadline__lt=today))


def to_accept(user: Any) -> QuerySet[Case]:
    """Assigned to the user's unit as lead unit and not yet accepted or returned."""
    if not user.unit_id:
        return Case.objects.none()
    return _by_deadline(_visible(user).filter(status=S.ROUTED, lead_unit_id=user.unit_id))


def handling(user: Any) -> QuerySet[Case]:
    """Being handled by the user's unit, as lead unit or co-unit (联办)."""
    if not user.unit_id:
        return Case.objects.none()
    return _by_deadline(_visible(user).filter(_handled_by(user.unit_id), status__in=HANDLING))


def leader_cases(user: Any) -> QuerySet[Case]:
    """领导包案: the unfinished leader cases this leader is responsible for."""
    return _by_deadline(
        _visible(user).filter(complexity=Complexity.LEADER, leader=user, status__in=ACTIVE)
    )


def registered_not_accepted(user: Any) -> QuerySet[Case]:
    """首问负责: the first receiver answers for a case until a unit accepts it."""
    return _by_deadline(_visible(user).filter(received_by=user, status__in=NOT_YET_ACCEPTED))


def returned(user: Any) -> QuerySet[Case]:
    return _by_deadline(_visible(user).filter(received_by=user, status=S.RETURNED))


def awaiting_follow_up(user: Any) -> QuerySet[Case]:
    """回访: closed cases with no follow-up since they were (last) closed."""
    done = FollowUp.objects.filter(case=OuterRef("pk"), at__gte=OuterRef("closed_at"))
    cases = _visible(user).filter(status=S.CLOSED).exclude(Exists(done))
    return cases.order_by("closed_at", "pk")


def my_reports(user: Any) -> QuerySet[Case]:
    """A grid worker's own reports that are not finished yet."""
    return _by_deadline(_visible(user).filter(received_by=user, status__in=ACTIVE))


# --- the inbox of one user -------------------------------------------------------------------


def inbox_for(user: Any, today: date) -> list[Section]:
    """The sections of ``user``'s inbox, in the order the page shows them.

    A section appears when the user's role (or unit) can act on its cases, even when it is
    empty, so "nothing waiting" is visible rather than a missing heading.
    """
    role = user.role
    plan: list[tuple[str, Any, QuerySet[Case]]] = []
    if role == Role.DIRECTOR:
        plan += [
            ("urgent", _("Urgent matters"), urgent_open(user)),
            ("routing", _("To route"), routing_queue(user)),
        ]
    if role == Role.LEADER:
        plan.append(("leader_cases", _("My leader cases"), leader_cases(user)))
    if role in (Role.DIRECTOR, Role.SUPERVISOR, Role.LEADER):
        plan.append(("extensions", _("Extension requests to decide"), extensions_to_decide(user)))
    if role in (Role.DIRECTOR, Role.SUPERVISOR):
        plan.append(("to_close", _("Results to close"), to_close(user)))
    if role == Role.SUPERVISOR:
        plan.append(("overdue", _("Overdue"), overdue(user, today)))
    if user.unit_id:
        plan += [
            ("to_accept", _("Assigned to my unit, to accept"), to_accept(user)),
            ("handling", _("Handled by my unit"), handling(user)),
        ]
    if role in (Role.DESK, Role.MEDIATOR):
        plan += [
            (
                "not_accepted",
                _("Registered by me, not yet accepted"),
                registered_not_accepted(user),
            ),
            ("returned", _("Registered by me, returned"), returned(user)),
        ]
    if role == Role.DESK:
        plan.append(("follow_up", _("Closed, awaiting follow-up"), awaiting_follow_up(user)))
    if role == Role.GRID:
        plan.append(("reports", _("My reports"), my_reports(user)))

    sections = [Section.of(key, title, cases) for key, title, cases in plan]
    _attach_pending_extensions([s for s in sections if s.key == "extensions"])
    return sections


def _attach_pending_extensions(sections: list[Section]) -> None:
    """Each case of an extension section gets its ``pending_extension``, in one query."""
    cases = [case for section in sections for case in section.cases]
    if not cases:
        return
    requests = {
        r.case_id: r
        for r in ExtensionRequest.objects.filter(
            case__in=[c.pk for c in cases], status=ExtensionStatus.PENDING
        )
    }
    for case in cases:
        case.pending_extension = requests.get(case.pk)
