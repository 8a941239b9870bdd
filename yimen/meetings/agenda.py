"""The agenda of a monthly meeting, built from the month's data (议题).

``build_agenda(user, month)`` asks each agenda source in ``SOURCES`` in turn for its items,
over what ``user`` may see. Each source reads the same functions as the dashboard, the
supervision board and the mediation report, so an item says what those pages say:

- **overdue**: open cases past their deadline today (``figures.overdue``);
- **supervised**: cases under named supervision (挂牌督办) whose listing and case are open;
- **hotspots**: categories and places whose intake in the month rose against the month
  before (``figures.by_category`` / ``by_place`` over ``received_in``), biggest rise first;
- **mediation**: the month's people's mediation results (``mediation.reports.build_report``);
- **incidents**: the month's emergency incidents, drills excepted;
- **open tasks**: decisions of earlier meetings still open past their deadline.

The meeting stores what this returns as a snapshot the secretary may reorder, shorten or
add to. Emergency incidents have their source (drills never count); screening campaigns
add theirs to ``SOURCES`` when that module exists; nothing else changes.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yimen.cases.models import Category
from yimen.cases.workflow import OPEN
from yimen.dashboard.figures import FIGURES, Scope, by_category, by_place, received_in
from yimen.dashboard.views import figure_url
from yimen.emergency.services import month_incidents
from yimen.mediation.reports import MONTHLY, build_report
from yimen.org.models import Jurisdiction
from yimen.periods import Period, last_month, month_of
from yimen.supervision.queries import visible_supervisions

from .models import Meeting, Task, TaskStatus


@dataclass(frozen=True)
class Item:
    """One agenda line: what it says and what it is about (a case, a task, or a page)."""

    source: str
    title: str
    detail: str = ""
    link: str = ""
    case_id: int | None = None
    task_id: int | None = None


@dataclass(frozen=True)
class Month:
    """What every source reads: whose view, which month, and which day is today."""

    user: Any
    period: Period
    today: date

    @property
    def scope(self) -> Scope:
        return Scope.for_user(self.user, self.period, self.today)


def _case_url(pk: int) -> str:
    return reverse("cases:detail", args=[pk])


def overdue_cases(month: Month) -> list[Item]:
    cases = FIGURES["overdue"].cases(month.scope).select_related("lead_unit")
    return [
        Item(
            "overdue",
            f"{case.receipt_number} {case.title}",
            _("Overdue since %(date)s; handled by %(unit)s.")
            % {"date": case.deadline.isoformat(), "unit": case.lead_unit or "—"},
            _case_url(case.pk),
            case_id=case.pk,
        )
        for case in cases.order_by("deadline", "pk")
    ]


def supervised_cases(month: Month) -> list[Item]:
    listings = visible_supervisions(month.user).filter(
        closed_at__isnull=True, case__status__in=OPEN
    )
    return [
        Item(
            "supervised",
            f"{s.case.receipt_number} {s.case.title}",
            _("Named supervision: %(unit)s, leader %(leader)s, due %(date)s.")
            % {
                "unit": s.responsible_unit,
                "leader": s.responsible_leader,
                "date": s.deadline.isoformat(),
            },
            _case_url(s.case_id),
            case_id=s.case_id,
        )
        for s in listings.order_by("deadline", "pk")
    ]


def _rises(now: dict[int, int], before: dict[int, int]) -> list[tuple[int, int, int]]:
    """(key, now, before) for each key counted more this month, biggest rise first."""
    rows = [(key, n, before.get(key, 0)) for key, n in now.items() if n > before.get(key, 0)]
    return sorted(rows, key=lambda row: (row[2] - row[1], -row[1], row[0]))


def hotspots(month: Month) -> list[Item]:
    scope, period = month.scope, month.period
    previous = last_month(period.start)
    this, then = received_in(scope, period), received_in(scope, previous)

    def item(label: str, now: int, before: int, link: str) -> Item:
        detail = _("%(now)d received this month, %(before)d the month before.") % {
            "now": now,
            "before": before,
        }
        return Item("hotspots", label, detail, link)

    categories = Category.objects.in_bulk()
    items = [
        item(
            _("Rising category: %(name)s") % {"name": categories[pk].name},
            now,
            before,
            figure_url("received", period, category=categories[pk].code),
        )
        for pk, now, before in _rises(by_category(this), by_category(then))
    ]
    place_rows = _rises(by_place(this), by_place(then))
    places = Jurisdiction.objects.for_user(month.user).in_bulk([pk for pk, _n, _b in place_rows])
    items += [
        item(
            _("Rising place: %(name)s") % {"name": places[pk].name},
            now,
            before,
            figure_url("received", period, place=pk),
        )
        for pk, now, before in place_rows
        if pk in places
    ]
    return items


def mediation_results(month: Month) -> list[Item]:
    total = build_report(month.user, month.period, MONTHLY).total
    rate = "—" if total.success_rate is None else f"{total.success_rate:.0%}"
    detail = _(
        "%(received)d received, %(mediated)d mediated, %(succeeded)d succeeded "
        "(success rate %(rate)s), %(pending)d still in mediation at the end of the month."
    ) % {
        "received": total.received,
        "mediated": total.mediated,
        "succeeded": total.succeeded,
        "rate": rate,
        "pending": total.pending_at_end,
    }
    link = f"{reverse('mediation:report')}?{urlencode({'kind': MONTHLY, **month.period.params()})}"
    return [Item("mediation", _("People's mediation results of the month"), detail, link)]


def overdue_tasks(month: Month) -> list[Item]:
    """Decisions of earlier meetings in scope that are still open past their deadline."""
    tasks = Task.objects.filter(
        meeting__in=Meeting.objects.for_user(month.user).filter(month__lt=month.period.start),
        status=TaskStatus.OPEN,
        deadline__lt=month.today,
    ).select_related("owner", "meeting")
    return [
        Item(
            "open_tasks",
            f"{task.number} {task.text[:200]}",
            _("Decided at the %(month)s meeting; owner %(owner)s; was due %(date)s.")
            % {
                "month": f"{task.meeting.month:%Y-%m}",
                "owner": task.owner,
                "date": task.deadline.isoformat(),
            },
            reverse("meetings:task", args=[task.pk]),
            task_id=task.pk,
        )
        for task in tasks.order_by("deadline", "pk")
    ]


def incidents(month: Month) -> list[Item]:
    """The month's emergency incidents (drills never), with their level and stage."""
    return [
        Item(
            "incidents",
            f"{incident.number} {incident.situation[:60]}",
            _("%(level)s; %(stage)s.")
            % {"level": incident.get_level_display() or _("not graded"),
               "stage": incident.get_stage_display()},
            reverse("emergency:incident", args=[incident.pk]),
        )
        for incident in month_incidents(month.user, month.period).order_by("received_at", "pk")
    ]  # fmt: skip


@dataclass(frozen=True)
class Source:
    code: str
    label: str | Promise
    items: Callable[[Month], list[Item]]


# The extension point: a module with matters for the meeting adds its source here.
SOURCES: list[Source] = [
    Source("overdue", gettext_lazy("Overdue cases"), overdue_cases),
    Source("supervised", gettext_lazy("Cases under named supervision"), supervised_cases),
    Source("hotspots", gettext_lazy("Hotspots"), hotspots),
    Source("mediation", gettext_lazy("Mediation results"), mediation_results),
    Source("incidents", gettext_lazy("Emergency incidents"), incidents),
    Source("open_tasks", gettext_lazy("Overdue decisions of earlier meetings"), overdue_tasks),
]


def source_label(code: str) -> str | Promise:
    """The heading of an item's source; a free item is the secretary's own."""
    labels = {source.code: source.label for source in SOURCES}
    return labels.get(code, gettext_lazy("Added by hand"))


def seen_from(user: Any, node: Jurisdiction) -> Any:
    """``user`` looking at ``node``'s subtree only, role, unit and recusals unchanged.

    A street's director planning a community's meeting sees the whole street; the agenda
    must hold that community's matters alone. Every ``for_user`` reads ``visible_path``,
    so a copy placed at the node narrows all of them at once. The copy is never saved.
    """
    if not node.path.startswith(user.visible_path or "/none/"):
        raise ValueError("an agenda may narrow what a user sees, never widen it")
    if user.jurisdiction_id == node.pk:
        return user
    viewer = copy.copy(user)
    viewer.jurisdiction = node
    return viewer


def build_agenda(
    user: Any,
    month: date | Period,
    today: date | None = None,
    *,
    within: Jurisdiction | None = None,
) -> list[Item]:
    """The agenda items of ``month`` (any day of it, or its period) as ``user`` sees them,
    narrowed to ``within``'s subtree (a node the user covers) when given."""
    period = month if isinstance(month, Period) else month_of(month)
    viewer = seen_from(user, within) if within is not None else user
    context = Month(viewer, period, today or timezone.localdate())
    return [item for source in SOURCES for item in source.items(context)]
