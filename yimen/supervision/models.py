"""Supervision (督查督办): deadline alerts, reminder slips, named supervision and its reports.

Everything here hangs off a case and is seen only through ``Case.objects.for_user``: a
reminder slip or a supervised matter of another community is as invisible as its case.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case
from yimen.org.models import Jurisdiction, Unit


class SweepRun(models.Model):
    """One run of the deadline sweep: when, for which day, and what it raised."""

    today = models.DateField(_("day swept"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    approaching = models.PositiveIntegerField(_("approaching"), default=0)
    due = models.PositiveIntegerField(_("due today"), default=0)
    overdue = models.PositiveIntegerField(_("overdue"), default=0)
    progress_missing = models.PositiveIntegerField(_("progress reports missing"), default=0)
    archived = models.PositiveIntegerField(_("archived"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")

    def __str__(self) -> str:
        return f"{self.today} #{self.pk}"


class AlertKind(models.TextChoices):
    APPROACHING = "approaching", _("Deadline approaching")
    DUE = "due", _("Due today")
    OVERDUE = "overdue", _("Overdue")


class DeadlineAlert(models.Model):
    """A reminder the sweep raised: a case approaching, reaching or past one deadline.

    At most one per (case, kind, deadline): a second run, a concurrent run or a deadline
    that did not move raises nothing twice, and an extended deadline is a new deadline.
    """

    # The sweep inserts these by the hundred thousand in one statement. They are derived
    # from the cases table in that very statement, so the database-level foreign keys, whose
    # checks at commit would cost more than the insert itself, are left out; deleting through
    # the ORM still cascades. The unique constraint below starts with the case, so it serves
    # as the case's index.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="deadline_alerts",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    deadline = models.DateField(_("deadline"))
    # Whom and where it went: the case's lead unit and place when it was raised, so the
    # sweep counts its new alerts per unit and place without reading the cases again.
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    place = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("place"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Not indexed either: every row of one run has the same value, and keeping an index of
    # a hundred thousand equal keys costs the sweep a third of its time. A run finds its own
    # rows above the highest id before it, through the primary key.
    run = models.ForeignKey(
        SweepRun,
        on_delete=models.CASCADE,
        related_name="alerts",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("raised at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deadline alert")
        verbose_name_plural = _("deadline alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "deadline"], name="supervision_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.deadline}"


class ReminderStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting the director's signature")
    APPROVED = "approved", _("Signed and sent")
    REPLIED = "replied", _("Replied")


class ReminderSlip(models.Model):
    """催办单: the supervisor's written reminder to the handling unit, signed by the director.

    Issued as a draft, it reaches the unit only once a director has signed it; the unit's
    reply is recorded against it.
    """

    number = models.CharField(_("slip number"), max_length=32, unique=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminder_slips")
    unit = models.ForeignKey(
        Unit, verbose_name=_("sent to"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))
    text = models.TextField(_("reminder"))
    reply_by = models.DateField(_("reply by"))
    status = models.CharField(
        _("status"), max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.DRAFT
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("reminder slip")
        verbose_name_plural = _("reminder slips")
        indexes = [models.Index(fields=["status", "reply_by"], name="supervision_slip_status")]

    def __str__(self) -> str:
        return self.number


class NamedSupervision(models.Model):
    """挂牌督办: a complex matter listed by name, with a responsible unit, leader and deadline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    responsible_unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible leader"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateField(_("deadline"))
    reason = models.TextField(_("why it is listed"))
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("listed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    listed_at = models.DateTimeField(_("listed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("named supervision")
        verbose_name_plural = _("named supervisions")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(closed_at__isnull=True),
                name="supervision_one_open_listing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.deadline}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ProgressReport(models.Model):
    """A progress report (进展情况) of the responsible unit on a supervised matter."""

    supervision = models.ForeignKey(
        NamedSupervision, on_delete=models.CASCADE, related_name="reports"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    text = models.TextField(_("progress"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self) -> str:
        return f"{self.supervision_id} {self.at:%Y-%m-%d}"


class ProgressRequest(models.Model):
    """The supervisor asks for a progress report by a date; the sweep flags it once if missed."""

    supervision = models.ForeignKey(
        NamedSupervision, on_delete=models.CASCADE, related_name="requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    due_date = models.DateField(_("report due by"))
    note = models.TextField(_("what to report on"), blank=True)
    fulfilled_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    report = models.ForeignKey(
        ProgressReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_at = models.DateTimeField(_("flagged missing at"), null=True, blank=True)
    flag_run = models.ForeignKey(
        SweepRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("progress report request")
        verbose_name_plural = _("progress report requests")
        indexes = [
            # What the sweep looks for: still waiting, not yet flagged, by due date.
            models.Index(
                fields=["due_date"],
                condition=Q(fulfilled_at__isnull=True, flagged_at__isnull=True),
                name="supervision_request_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supervision_id} by {self.due_date}"

    @property
    def is_pending(self) -> bool:
        return self.fulfilled_at is None
