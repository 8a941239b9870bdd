"""The steps of a monthly meeting and of its tasks, one function each.

Each function checks who may act (``rules``) and what was given, and raises a translated
``WorkflowError`` saying why not — with the reasons by form field in ``fields``, so a page
shows them beside what was typed. It then changes what it must in one transaction, claiming
a task with a conditional UPDATE where two people could act at once, and writes the task's
timeline entry, the audit event and the notifications (sent after commit by ``notices``).
"""

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.audit.services import diff, record, snapshot
from yimen.cases.workflow import Conflict, Invalid, NotAllowed, WorkflowError, next_number
from yimen.notices.models import NoticeKind
from yimen.notices.services import notify
from yimen.org.models import Jurisdiction
from yimen.workdays.services import load_calendar

from . import rules
from .agenda import Item, build_agenda
from .models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingStatus,
    Task,
    TaskEvent,
    TaskStatus,
)

MEETING_FIELDS = ["month", "starts_at", "place", "chair"]
TASK_NUMBER_PREFIX = "JY"  # 决议


def _refuse(errors: dict[str, str]) -> None:
    """Raise every reason at once, so the form shows them all beside what was typed."""
    if errors:
        raise Invalid(next(iter(errors.values())), fields=errors)


def _blank(value: str | None) -> bool:
    return not value or not value.strip()


def meeting_day(meeting: Meeting) -> date:
    """The local day the meeting sits: working-day deadlines count from it."""
    return timezone.localdate(meeting.starts_at)


def _check_edit(meeting: Meeting, actor: Any) -> None:
    if not rules.may_edit(actor, meeting):
        raise NotAllowed(
            _("Only a director, supervisor, leader or administrator over this meeting edits it.")
        )


def check_change(meeting: Meeting, actor: Any) -> None:
    """Its agenda, time, place and chair change only while the meeting is planned."""
    _check_edit(meeting, actor)
    if meeting.status != MeetingStatus.PLANNED:
        raise WorkflowError(
            _(
                "The meeting was held: its agenda, time, place and chair are on record and "
                "no longer change."
            )
        )


# --- planning ------------------------------------------------------------------------------


def check_plan(actor: Any) -> None:
    """Raise what ``plan_meeting`` would for this actor, before anything is typed."""
    if not rules.may_plan(actor):
        raise NotAllowed(_("Only a director, supervisor, leader or administrator plans meetings."))


def _details_errors(
    path: str, starts_at: datetime | None, place: str, chair: Any
) -> dict[str, str]:
    """What is missing or wrong in a meeting's time, place and chair, by field."""
    errors = {}
    if starts_at is None:
        errors["starts_at"] = _("Give the date and time of the meeting.")
    if _blank(place):
        errors["place"] = _("Say where the meeting is held.")
    if chair is None:
        errors["chair"] = _("Choose who chairs the meeting.")
    elif not rules.chair_choices(path).filter(pk=chair.pk).exists():
        errors["chair"] = _(
            "%(name)s is not placed at this jurisdiction or above it: choose another chair."
        ) % {"name": chair}
    return errors


def _duplicate(jurisdiction: Jurisdiction, month: date) -> str:
    return _("%(place)s already has a meeting for %(month)s.") % {
        "place": jurisdiction.name,
        "month": f"{month:%Y-%m}",
    }


def plan_meeting(
    *,
    actor: Any,
    month: date | None,
    starts_at: datetime | None,
    place: str,
    chair: Any,
    today: date | None = None,
) -> Meeting:
    """例会: plan the month's meeting of the actor's node, with its agenda generated."""
    check_plan(actor)
    jurisdiction = actor.jurisdiction
    errors = _details_errors(jurisdiction.path, starts_at, place, chair)
    if month is None:
        errors["month"] = _("Choose the month the meeting is for.")
    else:
        month = month.replace(day=1)
        if Meeting.objects.filter(jurisdiction=jurisdiction, month=month).exists():
            errors["month"] = _duplicate(jurisdiction, month)
    _refuse(errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                meeting = Meeting.objects.create(
                    jurisdiction=jurisdiction, month=month, starts_at=starts_at,
                    place=place.strip(), chair=chair, created_by=actor, created_at=timezone.now(),
                )  # fmt: skip
        except IntegrityError:
            # Planned by someone else between the check and the insert.
            message = _duplicate(jurisdiction, month)
            raise Invalid(message, fields={"month": message}) from None
        record(
            "meetings.meeting.planned", meeting, actor=actor,
            changes=snapshot(meeting, MEETING_FIELDS),
        )  # fmt: skip
        _store_generated(meeting, build_agenda(actor, month, today, within=jurisdiction))
    return meeting


def update_meeting(
    meeting: Meeting, *, actor: Any, starts_at: datetime | None, place: str, chair: Any
) -> None:
    """Change the time, place or chair of a meeting not yet held."""
    check_change(meeting, actor)
    _refuse(_details_errors(meeting.jurisdiction.path, starts_at, place, chair))
    with transaction.atomic():
        before = snapshot(meeting, MEETING_FIELDS)
        meeting.starts_at, meeting.place, meeting.chair = starts_at, place.strip(), chair
        meeting.save(update_fields=["starts_at", "place", "chair"])
        changes = diff(before, snapshot(meeting, MEETING_FIELDS))
        if changes:
            record("meetings.meeting.updated", meeting, actor=actor, changes=changes)


# --- the agenda ----------------------------------------------------------------------------


def _store_generated(meeting: Meeting, items: list[Item]) -> dict[str, int]:
    """Generated items first, in the sources' order; the free items after them, as they were."""
    free = list(meeting.agenda.filter(source=AgendaItem.FREE).order_by("position", "pk"))
    meeting.agenda.exclude(source=AgendaItem.FREE).delete()
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting, position=n, source=item.source, title=item.title[:300],
            detail=item.detail, link=item.link, case_id=item.case_id, task_id=item.task_id,
        )
        for n, item in enumerate(items, start=1)
    )  # fmt: skip
    for n, item in enumerate(free, start=len(items) + 1):
        item.position = n
    AgendaItem.objects.bulk_update(free, ["position"])
    Meeting.objects.filter(pk=meeting.pk).update(agenda_built_at=timezone.now())
    return dict(Counter(item.source for item in items))


def regenerate_agenda(meeting: Meeting, *, actor: Any, today: date | None = None) -> int:
    """Take the month's data again; items added by hand stay, after the generated ones."""
    check_change(meeting, actor)
    items = build_agenda(actor, meeting.month, today, within=meeting.jurisdiction)
    with transaction.atomic():
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        counts = _store_generated(meeting, items)
        record("meetings.agenda.generated", meeting, actor=actor, changes={"items": counts})
    return len(items)


def add_agenda_item(meeting: Meeting, *, actor: Any, title: str, detail: str = "") -> AgendaItem:
    """A free item of the secretary's own, at the end of the agenda."""
    check_change(meeting, actor)
    if _blank(title):
        message = _("Write the agenda item.")
        raise Invalid(message, fields={"title": message})
    with transaction.atomic():
        last = meeting.agenda.order_by("-position").values_list("position", flat=True).first()
        item = AgendaItem.objects.create(
            meeting=meeting, position=(last or 0) + 1, source=AgendaItem.FREE,
            title=title.strip()[:300], detail=detail.strip(),
        )  # fmt: skip
        record(
            "meetings.agenda.item_added", meeting, actor=actor,
            changes={"item": item.pk, "title": item.title},
        )  # fmt: skip
    return item


def move_agenda_item(item: AgendaItem, *, actor: Any, up: bool) -> None:
    """Swap the item with the one before (``up``) or after it; at either end nothing moves."""
    meeting = item.meeting
    check_change(meeting, actor)
    with transaction.atomic():
        ordered = list(meeting.agenda.select_for_update().order_by("position", "pk"))
        at = next(i for i, other in enumerate(ordered) if other.pk == item.pk)
        to = at - 1 if up else at + 1
        if not 0 <= to < len(ordered):
            return
        ordered[at], ordered[to] = ordered[to], ordered[at]
        for n, each in enumerate(ordered, start=1):
            each.position = n
        AgendaItem.objects.bulk_update(ordered, ["position"])
        record(
            "meetings.agenda.item_moved", meeting, actor=actor,
            changes={"item": item.pk, "position": [at + 1, to + 1]},
        )  # fmt: skip


def remove_agenda_item(item: AgendaItem, *, actor: Any) -> None:
    """Off the agenda; the audit event keeps what it said."""
    meeting = item.meeting
    check_change(meeting, actor)
    with transaction.atomic():
        record(
            "meetings.agenda.item_removed", meeting, actor=actor,
            changes={"item": item.pk, "source": item.source, "title": item.title},
        )  # fmt: skip
        item.delete()


# --- minutes and attendance ------------------------------------------------------------------


def save_minutes(meeting: Meeting, *, actor: Any, minutes: str) -> None:
    """The minutes may be written before, during and after the meeting; each change is logged."""
    _check_edit(meeting, actor)
    with transaction.atomic():
        before = meeting.minutes
        meeting.minutes = minutes.strip()
        meeting.save(update_fields=["minutes"])
        if before != meeting.minutes:
            record(
                "meetings.meeting.minutes_saved", meeting, actor=actor,
                changes={"minutes": [before, meeting.minutes]},
            )  # fmt: skip


def _attendance_state(meeting: Meeting) -> dict[str, Any]:
    rows = meeting.attendance.order_by("user_id")
    return {
        "present": [a.user_id for a in rows if a.present],
        "absent": {str(a.user_id): a.reason for a in rows if not a.present},
        "others": meeting.other_attendees,
    }


def save_attendance(
    meeting: Meeting,
    *,
    actor: Any,
    present: list[Any],
    absent: list[tuple[Any, str]],
    others: str = "",
) -> None:
    """Who was there, who was not and why, and guests without an account."""
    _check_edit(meeting, actor)
    allowed = set(rules.attendee_choices(meeting).values_list("pk", flat=True))
    both = {u.pk for u in present} & {u.pk for u, _reason in absent}
    outside = [u for u in [*present, *(u for u, _r in absent)] if u.pk not in allowed]
    if outside:
        raise Invalid(
            _("%(name)s is not on the staff of %(place)s.")
            % {"name": outside[0], "place": meeting.jurisdiction.name}
        )
    if both:
        raise Invalid(_("Someone is marked both present and absent."))
    for user, reason in absent:
        if _blank(reason):
            raise Invalid(_("Give the reason %(name)s was absent.") % {"name": user})
    with transaction.atomic():
        before = _attendance_state(meeting)
        meeting.attendance.all().delete()
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, user=u, present=True) for u in present]
            + [
                Attendance(meeting=meeting, user=u, present=False, reason=r.strip()[:200])
                for u, r in absent
            ]
        )
        meeting.other_attendees = others.strip()
        meeting.save(update_fields=["other_attendees"])
        changes = diff(before, _attendance_state(meeting))
        if changes:
            record("meetings.meeting.attendance_saved", meeting, actor=actor, changes=changes)


def mark_held(meeting: Meeting, *, actor: Any) -> None:
    """planned → held, once it has taken place, with its minutes and who attended."""
    _check_edit(meeting, actor)
    if meeting.status != MeetingStatus.PLANNED:
        raise WorkflowError(_("The meeting is already marked held."))
    now = timezone.now()
    if meeting.starts_at > now:
        raise WorkflowError(
            _("The meeting is set for %(when)s: mark it held once it has taken place.")
            % {"when": f"{timezone.localtime(meeting.starts_at):%Y-%m-%d %H:%M}"}
        )
    if _blank(meeting.minutes):
        raise Invalid(_("Write the minutes before marking the meeting held."))
    if not meeting.attendance.filter(present=True).exists():
        raise Invalid(_("Record who attended before marking the meeting held."))
    with transaction.atomic():
        claimed = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.PLANNED).update(
            status=MeetingStatus.HELD, held_by=actor, held_at=now
        )
        if not claimed:
            raise Conflict(_("Someone else marked the meeting held a moment ago."))
        meeting.refresh_from_db()
        record(
            "meetings.meeting.held", meeting, actor=actor,
            changes={"status": [MeetingStatus.PLANNED, MeetingStatus.HELD]},
        )  # fmt: skip


# --- decisions and their tasks -----------------------------------------------------------------


def _event(task: Task, action: str, actor: Any, from_status: str = "", note: str = "") -> None:
    TaskEvent.objects.create(
        task=task, at=timezone.now(), actor=actor, action=action,
        from_status=from_status, to_status=task.status, note=note,
    )  # fmt: skip


def _task_label(task: Task) -> dict[str, str]:
    return {"number": task.number, "text": task.text[:120], "date": task.deadline.isoformat()}


def _deadline_errors(
    meeting: Meeting, working_days: int | None, on: date | None, today: date
) -> tuple[dict[str, str], Any]:
    """The reasons the deadline is refused (by field), or none and the deadline."""
    if working_days is None and on is None:
        return {"working_days": _("Give the deadline in working days or as a date.")}, None
    if working_days is not None and on is not None:
        return {"deadline": _("Give the deadline in working days or as a date, not both.")}, None
    if working_days is not None and not 1 <= working_days <= rules.MAX_WORKING_DAYS:
        message = _("Give between 1 and %(max)d working days.") % {"max": rules.MAX_WORKING_DAYS}
        return {"working_days": message}, None
    start = meeting_day(meeting)
    span = timedelta(days=2 * (working_days or 0) + 60)
    deadline = rules.decision_deadline(start, working_days, on, load_calendar(start, start + span))
    if deadline.date < today:
        field = "deadline" if on is not None else "working_days"
        message = _("The deadline %(date)s is in the past: choose a later one.") % {
            "date": deadline.date.isoformat()
        }
        return {field: message}, None
    return {}, deadline


def record_decision(
    meeting: Meeting,
    *,
    actor: Any,
    text: str,
    owner: Any,
    working_days: int | None = None,
    deadline: date | None = None,
    today: date | None = None,
) -> Task:
    """A decision of the meeting becomes a task for its owner, due on the deadline given."""
    _check_edit(meeting, actor)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if _blank(text):
        errors["text"] = _("Write what was decided.")
    if owner is None:
        errors["owner"] = _("Choose who owns the task.")
    elif not rules.staff_choices(meeting).filter(pk=owner.pk).exists():
        errors["owner"] = _(
            "%(name)s is not on the staff of %(place)s: choose the owner among them."
        ) % {"name": owner, "place": meeting.jurisdiction.name}
    deadline_errors, due = _deadline_errors(meeting, working_days, deadline, today)
    _refuse(errors | deadline_errors)
    now = timezone.now()
    with transaction.atomic():
        task = Task.objects.create(
            number=next_number(TASK_NUMBER_PREFIX, timezone.localtime(now).year),
            meeting=meeting, text=text.strip(), owner=owner, deadline=due.date,
            working_days=working_days, deadline_provisional=due.provisional,
            created_by=actor, created_at=now,
        )  # fmt: skip
        _event(task, "recorded", actor)
        record(
            "meetings.task.recorded", task, actor=actor,
            changes=snapshot(task, ["meeting", "text", "owner", "deadline", "working_days"]),
        )  # fmt: skip
        notify(
            [owner],
            kind=NoticeKind.MEETING_TASK,
            message=_("Meeting task %(number)s for you, due %(date)s: %(text)s")
            % _task_label(task),
        )
    return task


def complete_task(task: Task, *, actor: Any, result: str) -> None:
    """open → done: the owner reports the result."""
    if task.status != TaskStatus.OPEN:
        raise WorkflowError(_("Task %(number)s is already done.") % {"number": task.number})
    if not rules.may_complete(actor, task):
        raise NotAllowed(
            _("Only the task's owner, %(owner)s, completes it.") % {"owner": task.owner}
        )
    if _blank(result):
        message = _("Say what was done.")
        raise Invalid(message, fields={"result": message})
    now = timezone.now()
    with transaction.atomic():
        claimed = Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, result=result.strip(), done_by=actor, done_at=now
        )
        if not claimed:
            raise Conflict(_("Someone else changed this task a moment ago. Reload it."))
        task.refresh_from_db()
        _event(task, "completed", actor, TaskStatus.OPEN, note=task.result)
        record(
            "meetings.task.completed", task, actor=actor,
            changes={"status": [TaskStatus.OPEN, TaskStatus.DONE], "result": task.result},
        )  # fmt: skip


def reopen_task(
    task: Task,
    *,
    actor: Any,
    reason: str,
    deadline: date | None = None,
    today: date | None = None,
) -> None:
    """done → open, with a reason; a deadline that has passed must be replaced."""
    today = today or timezone.localdate()
    if task.status != TaskStatus.DONE:
        raise WorkflowError(_("Task %(number)s is still open.") % {"number": task.number})
    if not rules.may_reopen(actor, task):
        raise NotAllowed(_("Only the meeting's chair or a director over it reopens a task."))
    errors = {}
    if _blank(reason):
        errors["reason"] = _("Say why the task is reopened.")
    if deadline is not None and deadline < today:
        errors["deadline"] = _("The deadline %(date)s is in the past: choose a later one.") % {
            "date": deadline.isoformat()
        }
    elif deadline is None and task.deadline < today:
        errors["deadline"] = _("The deadline %(date)s has passed: give a new one.") % {
            "date": task.deadline.isoformat()
        }
    _refuse(errors)
    new_deadline = deadline or task.deadline
    with transaction.atomic():
        claimed = Task.objects.filter(pk=task.pk, status=TaskStatus.DONE).update(
            status=TaskStatus.OPEN, result="", done_by=None, done_at=None,
            deadline=new_deadline,
            deadline_provisional=task.deadline_provisional and new_deadline == task.deadline,
        )  # fmt: skip
        if not claimed:
            raise Conflict(_("Someone else changed this task a moment ago. Reload it."))
        old_deadline = task.deadline
        task.refresh_from_db()
        _event(task, "reopened", actor, TaskStatus.DONE, note=reason.strip())
        changes = {"status": [TaskStatus.DONE, TaskStatus.OPEN], "reason": reason.strip()}
        if new_deadline != old_deadline:
            changes["deadline"] = [old_deadline, new_deadline]
        record("meetings.task.reopened", task, actor=actor, changes=changes)
        notify(
            [task.owner],
            kind=NoticeKind.MEETING_TASK_REOPENED,
            message=_("Meeting task %(number)s was reopened, due %(date)s: %(reason)s")
            % {**_task_label(task), "reason": reason.strip()},
        )


def recompute_provisional_deadlines(year: int) -> int:
    """Count open tasks' provisional deadlines again once ``year``'s schedule is loaded.

    Only deadlines given in working days can change; each change is on the task's timeline.
    """
    changed = 0
    tasks = Task.objects.filter(
        status=TaskStatus.OPEN,
        deadline_provisional=True,
        working_days__isnull=False,
        deadline__year__gte=year,
    ).select_related("meeting")
    for task in tasks:
        start = meeting_day(task.meeting)
        span = timedelta(days=2 * task.working_days + 60)
        due = rules.decision_deadline(
            start, task.working_days, None, load_calendar(start, start + span)
        )
        with transaction.atomic():
            claimed = Task.objects.filter(
                pk=task.pk, status=TaskStatus.OPEN, deadline=task.deadline
            ).update(deadline=due.date, deadline_provisional=due.provisional)
            if not claimed:
                continue  # changed meanwhile; the next schedule change picks it up
            _event(task, "deadline_recomputed", None, TaskStatus.OPEN)
            record(
                "meetings.task.deadline_recomputed", task,
                changes={"deadline": [task.deadline, due.date], "provisional": due.provisional},
            )  # fmt: skip
        changed += 1
    return changed
