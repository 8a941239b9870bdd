"""Emergency incidents (突发事件): the report, its grading and stages, the plans, the check-ins.

An incident is a matter of place and time — what is happening where — never a file on a
person: the reporter is recorded only as the contact for this report (DESIGN.md §1).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case
from yimen.crypto import EncryptedCharField
from yimen.org.models import Jurisdiction
from yimen.org.scoping import ScopedQuerySet


class IncidentType(models.TextChoices):
    FIRE = "fire", _("Fire")
    GAS = "gas", _("Gas leak")
    COLLAPSE = "collapse", _("Building collapse")
    CROWD = "crowd", _("Crowd crush")
    VIOLENCE = "violence", _("Violent dispute")
    FLOOD = "flood", _("Flood")
    OTHER = "other", _("Other")


class Level(models.TextChoices):
    """The four response levels; I is the gravest."""

    I = "1", _("Level I, especially major (特别重大)")  # noqa: E741
    II = "2", _("Level II, major (重大)")
    III = "3", _("Level III, large (较大)")
    IV = "4", _("Level IV, general (一般)")


class Stage(models.TextChoices):
    RECEIVED = "received", _("Received (接警)")
    GRADED = "graded", _("Graded (定级)")
    ACTIVATED = "activated", _("Plan activated (启动)")
    RESPONSE = "response", _("Response (行动)")
    RECOVERY = "recovery", _("Recovery (恢复)")
    CLOSED = "closed", _("Closed (结束)")


class ContingencyPlan(models.Model):
    """预案: for one type of incident, the steps, the teams and the resources at hand."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    incident_type = models.CharField(
        _("type of incident"), max_length=16, choices=IncidentType.choices
    )
    title = models.CharField(_("title"), max_length=100)
    steps = models.TextField(_("steps"), help_text=_("One step per line, in order."))
    resources = models.TextField(
        _("resources"), blank=True, help_text=_("Vehicles, equipment and places, one per line.")
    )
    is_active = models.BooleanField(_("in force"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["incident_type", "title"]
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")

    def __str__(self) -> str:
        return self.title

    @property
    def step_lines(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]

    @property
    def resource_lines(self) -> list[str]:
        return [line.strip() for line in self.resources.splitlines() if line.strip()]


class PlanTeam(models.Model):
    plan = models.ForeignKey(ContingencyPlan, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("team"), max_length=50)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    """A member of a plan's team: the role they take and the number that reaches them."""

    team = models.ForeignKey(PlanTeam, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=50)
    duty = models.CharField(_("role in the team"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["team", "id"]

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    """One incident, from the first report to the after-action summary."""

    number = models.CharField(_("incident number"), max_length=32, unique=True)
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    incident_type = models.CharField(
        _("type of incident"), max_length=16, choices=IncidentType.choices, default="other"
    )
    is_drill = models.BooleanField(_("drill"), default=False)
    occurred_at = models.DateTimeField(_("happened at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("where"), max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    situation = models.TextField(_("what is happening"))
    account = models.TextField(_("brief account"), blank=True)
    assessment = models.TextField(_("preliminary assessment of severity and impact"), blank=True)
    measures = models.TextField(_("measures already taken"), blank=True)
    support_needed = models.TextField(_("support needed"), blank=True)
    reporter_name = models.CharField(_("reported by"), max_length=50, blank=True)
    reporter_contact = EncryptedCharField(
        _("reporter's contact"), blank=True, max_length=320, purpose="incident.reporter_contact"
    )
    level = models.CharField(_("response level"), max_length=1, choices=Level.choices, blank=True)
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.RECEIVED
    )
    plan = models.ForeignKey(
        ContingencyPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    activated_at = models.DateTimeField(_("plan activated at"), null=True, blank=True)
    report_due_at = models.DateTimeField(_("report to the district due"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported to the district at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district_report = models.FileField(upload_to="incidents/%Y/", blank=True)
    summary = models.TextField(_("after-action summary"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cases = models.ManyToManyField(
        Case, verbose_name=_("cases"), blank=True, related_name="incidents"
    )

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.number


class IncidentEvent(models.Model):
    """A line on the incident's timeline: who did what, when, with an optional photo."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32)
    stage = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to="incidents/%Y/%m/", blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.action}"


class StepCheck(models.Model):
    """One step of the activated plan, ticked off when done."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="step_checks")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "position"], name="emergency_step_once")
        ]

    def __str__(self) -> str:
        return self.text


class CheckIn(models.Model):
    """A team member's arrival on an activated plan (集结报到)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="check_ins")
    member = models.ForeignKey(TeamMember, on_delete=models.PROTECT, related_name="+")
    arrived_at = models.DateTimeField(_("arrived at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["arrived_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "member"], name="emergency_check_in_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.member_id}"
