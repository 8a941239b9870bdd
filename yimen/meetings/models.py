"""The monthly meeting (例会): agenda, minutes, attendance, and decisions tracked as tasks.

A meeting belongs to one jurisdiction node and month and is seen only from that node or
above (``Meeting.objects.for_user``). Its decisions (决议事项) are tasks with an owner and a
deadline, tracked like cases: every status change is a ``TaskEvent`` row and an audit event,
and the deadline sweep reminds the owner once before and once after the deadline.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yimen.org.models import Jurisdiction
from yimen.org.scoping import ScopedQuerySet


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")


class Meeting(models.Model):
    """例会: one a month per jurisdiction node."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(pgettext_lazy("monthly meeting", "place"), max_length=100)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("monthly meeting", "chair"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    minutes = models.TextField(_("minutes"), blank=True)
    other_attendees = models.TextField(
        _("other attendees"),
        blank=True,
        help_text=_("Guests without an account, one per line."),
    )
    agenda_built_at = models.DateTimeField(_("agenda generated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("planned at"))
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked held by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_at = models.DateTimeField(_("marked held at"), null=True, blank=True)

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "jurisdiction__path"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "month"], name="meetings_one_per_node_and_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.month:%Y-%m}"


class AgendaItem(models.Model):
    """One line of the agenda: a snapshot taken from the month's data, or added by hand.

    ``source`` names the agenda source that produced it (``agenda.SOURCES``) or ``free``;
    ``case`` and ``task`` say what it is about, so an item about a case the viewer may not
    see can be left out for that viewer.
    """

    FREE = "free"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveIntegerField(_("order"))
    source = models.CharField(_("source"), max_length=32)
    title = models.CharField(_("item"), max_length=300)
    detail = models.TextField(_("details"), blank=True)
    link = models.CharField(max_length=500, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        "meetings.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return self.title

    @property
    def is_free(self) -> bool:
        return self.source == self.FREE


class Attendance(models.Model):
    """A staff account at the meeting: present, or absent with the reason given."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    present = models.BooleanField(_("present"))
    reason = models.CharField(_("reason for absence"), max_length=200, blank=True)

    class Meta:
        ordering = ["meeting", "-present", "user__username"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="meetings_attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {'present' if self.present else 'absent'}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class TaskQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Tasks of the meetings the user sees, and the user's own wherever decided.

        The owner of a task decided at the street's meeting may work in a community below
        it: they see and complete their task, not the meeting.
        """
        path = getattr(user, "visible_path", None) if user.is_authenticated else None
        if not path:
            return self.none()
        return self.filter(Q(meeting__jurisdiction__path__startswith=path) | Q(owner=user))


class Task(models.Model):
    """A decision of a meeting (决议事项), tracked like a case: owner, deadline, result."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="tasks")
    text = models.TextField(pgettext_lazy("monthly meeting", "decision"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="meeting_tasks",
    )
    deadline = models.DateField(_("deadline"))
    working_days = models.PositiveSmallIntegerField(
        _("working days from the meeting"), null=True, blank=True
    )
    deadline_provisional = models.BooleanField(_("provisional deadline"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    result = models.TextField(_("result"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"))

    scope_path = "meeting__jurisdiction__path"
    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("meeting task")
        verbose_name_plural = _("meeting tasks")
        indexes = [models.Index(fields=["status", "deadline"], name="meetings_task_open")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


class TaskEvent(models.Model):
    """One step of a task (recorded, completed, reopened, deadline recounted): its timeline."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("task event")
        verbose_name_plural = _("task events")

    def __str__(self) -> str:
        return f"{self.task_id} {self.action}"


class TaskAlertKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class TaskAlert(models.Model):
    """A reminder the sweep sent about a task: at most one per (task, kind, deadline).

    The unique constraint is the claim: a second or concurrent sweep inserts nothing and so
    notifies nobody again; a deadline moved on reopening is a new deadline with its own.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=16, choices=TaskAlertKind.choices)
    deadline = models.DateField(_("deadline"))
    batch = models.UUIDField(_("sweep batch"))
    created_at = models.DateTimeField(_("raised at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("task alert")
        verbose_name_plural = _("task alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind", "deadline"], name="meetings_task_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind} {self.deadline}"
