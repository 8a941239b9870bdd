"""The deadline sweep (期限扫描): reminders before, on and after each case's deadline.

``run_sweep`` reads the working-day calendar once to find where "approaching" ends (see
``windows``), then claims its work with set-based statements, never a loop over cases:

1. one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` raises a ``DeadlineAlert`` for every open
   case whose deadline falls in the window, reading a partial index of open cases (migration
   0002); the unique (case, kind, deadline) makes a second run, a concurrent run or an
   unmoved deadline insert nothing, while an extended deadline is new and gets its alerts;
2. the rows this run inserted (its run id, above the highest id before it) are counted per
   kind, unit and place in one ``GROUP BY``; each unit gets one notification per kind —
   naming the case when there is one, otherwise how many and the first — and each director
   and supervisor at or above an overdue case's place one for what became overdue there;
3. one conditional ``UPDATE`` flags requested progress reports that did not come in.

The number of statements grows with the units and people told, never with the cases.
Notification rows are written in the sweep's transaction; e-mails and webhooks go out after
it commits (``yimen.notices``). Meeting tasks due soon or overdue are told to their owners,
and overdue hazard rectifications to the safety office, in the same transaction
(``yimen.meetings.sweep``, ``yimen.safety.sweep``). Last, closed cases past retention are
archived, and the parties of cases ended longer ago than the retention period are
anonymised (``yimen.cases.retention``).
"""

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yimen.audit.services import record
from yimen.cases.models import Case, CaseEvent
from yimen.cases.retention import anonymise_expired
from yimen.cases.workflow import OPEN, archive_closed
from yimen.cases.workflow import Status as S
from yimen.meetings.sweep import remind_task_owners
from yimen.notices.services import UnitNotice, notify, notify_units
from yimen.org.models import Jurisdiction, Role, User
from yimen.org.scoping import path_and_ancestors
from yimen.reports.reminders import remind_report_owners
from yimen.safety.sweep import remind_overdue_rectifications

from .models import AlertKind, DeadlineAlert, ProgressRequest, SweepRun
from .windows import Window, current_window

# Notification kinds (``yimen.notices.models.NoticeKind`` values).
NOTICE_KIND = {
    AlertKind.APPROACHING: "deadline_approaching",
    AlertKind.DUE: "deadline_due",
    AlertKind.OVERDUE: "overdue",
}
PROGRESS_MISSING = "progress_report_missing"

# Cases whose progress still matters: being handled, or resolved and not yet closed.
REPORTING = OPEN | {S.RESOLVED}


@dataclass(frozen=True)
class SweepResult:
    run_id: int
    today: date
    approaching: int = 0
    due: int = 0
    overdue: int = 0
    progress_missing: int = 0
    archived: int = 0
    notified: int = 0  # notifications written (one per person per kind and message)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "today": self.today.isoformat()}


def run_sweep(today: date | None = None, now: datetime | None = None) -> SweepResult:
    """Raise the reminders due for ``today`` (default: the local date of ``now``), once."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    window = current_window(today)
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        run = SweepRun.objects.create(today=today, started_at=now)
        new = DeadlineAlert.objects.filter(
            pk__gt=DeadlineAlert.objects.aggregate(last=Max("pk"))["last"] or 0, run=run
        )
        _raise_alerts(run, window, now)
        groups = list(_grouped(new))
        counts = {kind: sum(g["n"] for g in groups if g["kind"] == kind) for kind in AlertKind}
        digests = _Digests()
        for group in groups:
            if group["unit_id"]:
                digests.add_unit(group["unit_id"], NOTICE_KIND[group["kind"]], group)
        overdue = [g for g in groups if g["kind"] == AlertKind.OVERDUE]
        _overdue_to_supervisors(new.filter(kind=AlertKind.OVERDUE), overdue, digests)
        counts["progress_missing"] = _flag_missing_reports(run, today, now, digests)
        notified = digests.send(run)
        notified += remind_task_owners(window, now)
        notified += remind_report_owners(today, now)
        notified += remind_overdue_rectifications(today, now)
        if any(counts.values()):
            record(
                "supervision.sweep.raised",
                object_type="supervision.sweeprun",
                object_id=str(run.pk),
                object_repr=str(run),
                changes={**counts, "notified": notified},
            )
        SweepRun.objects.filter(pk=run.pk).update(**counts)
    archived = archive_closed(now)
    anonymise_expired(now)
    SweepRun.objects.filter(pk=run.pk).update(archived=archived, finished_at=timezone.now())
    return SweepResult(run.pk, today, **counts, archived=archived, notified=notified)


# --- claiming the work -------------------------------------------------------------------


def _raise_alerts(run: SweepRun, window: Window, now: datetime) -> None:
    """One statement: an alert for each open case in the window not alerted for that deadline."""
    alert, case = DeadlineAlert._meta, Case._meta
    qn = connection.ops.quote_name

    def columns(meta: Any, *names: str) -> str:
        return ", ".join(qn(meta.get_field(name).column) for name in names)

    deadline, status = qn(case.get_field("deadline").column), qn(case.get_field("status").column)
    statuses = sorted(OPEN)
    sql = (
        f"INSERT INTO {qn(alert.db_table)} "  # noqa: S608 - names from _meta, values as params
        f"({columns(alert, 'case', 'kind', 'deadline', 'unit', 'place', 'run', 'created_at')}) "
        f"SELECT {qn(case.pk.column)}, "
        f"CASE WHEN {deadline} < %s THEN %s WHEN {deadline} = %s THEN %s ELSE %s END, "
        f"{columns(case, 'deadline', 'lead_unit', 'jurisdiction')}, %s, %s "
        f"FROM {qn(case.db_table)} "
        f"WHERE {status} IN ({', '.join(['%s'] * len(statuses))}) AND {deadline} <= %s "
        # In case order, the unique index is written (or probed) page after page.
        f"ORDER BY {qn(case.pk.column)} "
        f"ON CONFLICT ({columns(alert, 'case', 'kind', 'deadline')}) DO NOTHING"
    )
    day = connection.ops.adapt_datefield_value
    params = [
        day(window.today),
        AlertKind.OVERDUE.value,
        day(window.today),
        AlertKind.DUE.value,
        AlertKind.APPROACHING.value,
        run.pk,
        connection.ops.adapt_datetimefield_value(now),
        *statuses,
        day(window.approaching_until),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _grouped(alerts: Any) -> Any:
    """Alerts counted per kind, unit and place, with the first case and the deadlines."""
    return (
        alerts.values("kind", "unit_id", "place_id")
        .annotate(
            n=Count("pk"), first=Min("case_id"), earliest=Min("deadline"), latest=Max("deadline")
        )  # fmt: skip
        .order_by()
    )


def _overdue_to_supervisors(alerts: Any, groups: list[dict[str, Any]], digests: "_Digests") -> None:
    """Directors and supervisors at or above an overdue case's place hear of it.

    Counted per place, less the complaints about the person or their own unit (what
    ``Case.objects.for_user`` hides from them); those are few, so they are read one by one.
    """
    if not groups:
        return
    paths = dict(
        Jurisdiction.objects.filter(pk__in={g["place_id"] for g in groups}).values_list(
            "pk", "path"
        )
    )
    above = {p for path in paths.values() for p in path_and_ancestors(path)}
    watchers = list(
        User.objects.filter(
            is_active=True,
            role__in=[Role.DIRECTOR, Role.SUPERVISOR],
            jurisdiction__path__in=above,
        ).select_related("jurisdiction")
    )
    if not watchers:
        return
    complaints = Case.objects.filter(Q(about_staff__isnull=False) | Q(about_unit__isnull=False))
    hidden = list(
        alerts.filter(case__in=complaints.values("pk")).values(
            "case_id", "place_id", "case__about_staff_id", "case__about_unit_id"
        )
    )
    for user in watchers:
        for group in groups:
            if not paths[group["place_id"]].startswith(user.jurisdiction.path):
                continue
            unseen = {
                h["case_id"]
                for h in hidden
                if h["place_id"] == group["place_id"]
                and (
                    h["case__about_staff_id"] == user.pk
                    or (user.unit_id and h["case__about_unit_id"] == user.unit_id)
                )
            }
            if group["n"] > len(unseen):
                named = group["n"] == 1
                row = {
                    **group,
                    "n": group["n"] - len(unseen),
                    "first": group["first"] if named else None,
                }
                digests.add_person(user.pk, NOTICE_KIND[AlertKind.OVERDUE], row)


def _flag_missing_reports(run: SweepRun, today: date, now: datetime, digests: "_Digests") -> int:
    """Requested progress reports whose date passed with no report: flagged once each."""
    waiting = ProgressRequest.objects.filter(
        fulfilled_at__isnull=True, flagged_at__isnull=True, due_date__lt=today
    )
    candidates = waiting.filter(
        supervision__closed_at__isnull=True, supervision__case__status__in=REPORTING
    ).values_list("pk", flat=True)
    # The claim's own WHERE repeats the conditions on the row, so of two sweeps at once
    # only one flags it (PostgreSQL re-checks them on the row it waited for).
    flagged = waiting.filter(pk__in=list(candidates)).update(flagged_at=now, flag_run=run)
    if not flagged:
        return 0
    requests = list(
        ProgressRequest.objects.filter(flag_run=run).select_related("supervision__case")
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=r.supervision.case_id,
            at=now,
            action="progress_report_missing",
            from_status=r.supervision.case.status,
            to_status=r.supervision.case.status,
            data={"request": r.pk, "due_date": r.due_date.isoformat()},
        )
        for r in requests
    )
    for r in requests:
        row = {"n": 1, "first": r.supervision.case_id, "earliest": r.due_date,
               "latest": r.due_date}  # fmt: skip
        digests.add_unit(r.supervision.responsible_unit_id, PROGRESS_MISSING, row)
        for user_id in {r.supervision.responsible_leader_id, r.requested_by_id}:
            digests.add_person(user_id, PROGRESS_MISSING, row)
    return flagged


# --- telling people ----------------------------------------------------------------------


@dataclass
class _Digest:
    count: int
    first: int | None  # the case to name; None when it must not or cannot be named
    earliest: date
    latest: date

    def merge(self, row: dict[str, Any]) -> None:
        firsts = [f for f in (self.first, row["first"]) if f is not None]
        self.count += row["n"]
        self.first = min(firsts) if firsts else None
        self.earliest = min(self.earliest, row["earliest"])
        self.latest = max(self.latest, row["latest"])


class _Digests:
    """One notification per unit (or person) and kind, whatever the number of cases.

    A unit's notification names its first case ("e.g. YM-…"): all of them are its own. A
    person's names a case only when it is about that one case.
    """

    def __init__(self) -> None:
        self.units: dict[tuple[int, str], _Digest] = {}
        self.people: dict[tuple[int, str], _Digest] = {}

    def add_unit(self, unit_id: int, kind: str, row: dict[str, Any]) -> None:
        self._add(self.units, (unit_id, kind), row)

    def add_person(self, user_id: int, kind: str, row: dict[str, Any]) -> None:
        self._add(self.people, (user_id, kind), row)

    @staticmethod
    def _add(into: dict[tuple[int, str], _Digest], key: tuple[int, str], row: dict) -> None:
        if key in into:
            into[key].merge(row)
        else:
            into[key] = _Digest(row["n"], row["first"], row["earliest"], row["latest"])

    def send(self, run: SweepRun) -> int:
        for digest in self.people.values():
            if digest.count > 1:
                digest.first = None
        named = {d.first for d in [*self.units.values(), *self.people.values()]} - {None}
        if not (self.units or self.people):
            return 0
        cases = Case.objects.only("pk", "receipt_number", "title").in_bulk(named)
        notices = []
        for (unit_id, kind), digest in sorted(self.units.items()):
            message, case = _message(kind, digest, cases.get(digest.first))
            payload = {"sweep_run": run.pk, "count": digest.count}
            notices.append(UnitNotice(unit_id, kind, message, case, payload))
        notified = notify_units(notices)
        # People with the same news get it in one statement.
        same_news: dict[tuple[str, str, int | None], list[int]] = defaultdict(list)
        for (user_id, kind), digest in self.people.items():
            message, case = _message(kind, digest, cases.get(digest.first))
            same_news[kind, message, case.pk if case else None].append(user_id)
        users = User.objects.in_bulk({user_id for user_id, _kind in self.people})
        for (kind, message, case_id), user_ids in sorted(same_news.items(), key=str):
            notified += notify(
                [users[pk] for pk in user_ids],
                kind=kind,
                message=message,
                case=cases[case_id] if case_id else None,
            )
        return notified


def _message(kind: str, digest: _Digest, first: Case | None) -> tuple[str, Case | None]:
    """The text of one notification, and the case it links to when it is about one case."""
    values = {
        "count": digest.count,
        "date": digest.earliest.isoformat(),
        "latest": digest.latest.isoformat(),
        "number": first.receipt_number if first else "",
    }
    if first is not None and digest.count == 1:
        text = {
            "deadline_approaching": _("Deadline approaching: %(number)s is due on %(date)s."),
            "deadline_due": _("Due today: %(number)s."),
            "overdue": _("Overdue: %(number)s was due on %(date)s."),
            PROGRESS_MISSING: _("Progress report missing: %(number)s, requested by %(date)s."),
        }[kind]
        return f"{text % values} {first.title}", first
    if first is not None:
        text = {
            "deadline_approaching": ngettext(
                "Deadlines approaching: %(count)d case is due by %(latest)s, e.g. %(number)s.",
                "Deadlines approaching: %(count)d cases are due by %(latest)s, e.g. %(number)s.",
                digest.count,
            ),
            "deadline_due": ngettext(
                "Due today: %(count)d case, e.g. %(number)s.",
                "Due today: %(count)d cases, e.g. %(number)s.",
                digest.count,
            ),
            "overdue": ngettext(
                "Overdue: %(count)d case, e.g. %(number)s.",
                "Overdue: %(count)d cases, e.g. %(number)s.",
                digest.count,
            ),
            PROGRESS_MISSING: ngettext(
                "Progress reports missing on %(count)d supervised case, e.g. %(number)s.",
                "Progress reports missing on %(count)d supervised cases, e.g. %(number)s.",
                digest.count,
            ),
        }[kind]
        return text % values, None
    text = {
        "overdue": ngettext(
            "Overdue in your jurisdiction: %(count)d case; see the supervision desk.",
            "Overdue in your jurisdiction: %(count)d cases; see the supervision desk.",
            digest.count,
        ),
        PROGRESS_MISSING: ngettext(
            "Progress reports missing on %(count)d supervised case; see the board.",
            "Progress reports missing on %(count)d supervised cases; see the board.",
            digest.count,
        ),
    }[kind]
    return text % values, None
