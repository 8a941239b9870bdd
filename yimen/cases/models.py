"""Cases (matters), their parties, attachments, timeline, slips, extensions and follow-ups.

A case records a matter and the people connected to it only as its parties: no field here
describes a person beyond what handling the matter needs (DESIGN.md §1).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.crypto import EncryptedCharField
from yimen.org.models import Jurisdiction, Unit
from yimen.org.scoping import ScopedQuerySet

from .scoping import CaseQuerySet


class Channel(models.TextChoices):
    VISIT = "visit", _("Visit (来访)")
    LETTER = "letter", _("Letter (来信)")
    CALL = "call", _("Call (来电)")
    ONLINE = "online", _("Online")
    GRID = "grid", _("Grid report")
    TRANSFER = "transfer", _("Transfer from a department")
    SCREENING = "screening", _("Found in screening (排查)")


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ROUTED = "routed", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    EXTENDED = "extended", _("Extended")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")
    RETURNED = "returned", _("Returned")
    ESCALATED = "escalated", _("Escalated")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    REOPENED = "reopened", _("Reopened")
    # Another report of a matter already registered: joined to it (CaseMerge), undoable.
    MERGED = "merged", _("Merged into another case")


class Complexity(models.TextChoices):
    GENERAL = "general", _("General (7 working days)")
    COMPLEX = "complex", _("Complex (15 working days)")
    VERY_COMPLEX = "very_complex", _("Especially complex (30 working days)")
    LEADER = "leader", _("Leader case (one month)")


class Category(models.Model):
    """A kind of matter. ``is_dispute`` ones go to mediation; ``is_staff_complaint`` ones recuse."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    is_dispute = models.BooleanField(_("dispute (mediation)"), default=False)
    is_staff_complaint = models.BooleanField(_("complaint about staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    INITIAL = "initial", _("First handling")
    ESCALATED = "escalated", _("After escalation")


class RoutingRule(models.Model):
    """Category → handling unit within a jurisdiction (分流规则). The nearest rule wins."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE)
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.INITIAL
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("handling unit"), on_delete=models.CASCADE, related_name="+"
    )
    co_units = models.ManyToManyField(
        Unit, verbose_name=_("co-handling units"), blank=True, related_name="+"
    )

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction__path", "category__position", "stage"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "category", "stage"], name="cases_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} · {self.category} → {self.unit}"


class Case(models.Model):
    """A matter brought by residents, from registration to archive."""

    receipt_number = models.CharField(_("receipt number"), max_length=32, unique=True)
    tracking_code_hash = models.CharField(max_length=64, editable=False)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("account of the matter"))
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="cases"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    is_urgent = models.BooleanField(_("major / urgent"), default=False)
    on_the_spot = models.BooleanField(_("settled on the spot"), default=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED
    )
    complexity = models.CharField(
        _("complexity"), max_length=16, choices=Complexity.choices, blank=True
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_cases",
    )
    co_units = models.ManyToManyField(
        Unit, verbose_name=_("co-handling units"), blank=True, related_name="co_cases"
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalations"), default=0)
    assigned_on = models.DateField(_("assigned on"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("provisional deadline"), default=False)
    result = models.TextField(_("result"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    transferred_to = models.CharField(_("transferred to"), max_length=100, blank=True)
    about_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    about_unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "jurisdiction__path"
    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "deadline"], name="cases_status_deadline"),
            models.Index(fields=["lead_unit", "status"], name="cases_unit_status"),
            models.Index(fields=["-received_at"], name="cases_received"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.title}"


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    OTHER = "other", _("Other party")


class Party(models.Model):
    """A person connected to a matter, only as a party to it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    name = models.CharField(_("name"), max_length=50)
    # Sealed at rest (AES-SIV, yimen.crypto): findable by an exact match only.
    phone = EncryptedCharField(_("phone"), purpose="party.phone", blank=True, db_index=True)
    id_number = EncryptedCharField(_("ID number"), purpose="party.id_number", blank=True)
    # Set when the retention period ran out and the name and numbers were erased.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    # The audit log files a view of a party's full data under the case's jurisdiction.
    scope_path = "case__jurisdiction__path"

    class Meta:
        ordering = ["id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.name


class AttachmentKind(models.TextChoices):
    GENERAL = "general", _("Material")
    ESCALATION_REQUEST = "escalation_request", _("Party's request to escalate")
    INVESTIGATION = "investigation", _("Investigation material and preliminary opinion")
    UNRESOLVED_REASONS = "unresolved_reasons", _("Facts and reasons it could not be resolved")
    RESULT = "result", _("Result document")


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(
        _("kind"), max_length=24, choices=AttachmentKind.choices, default=AttachmentKind.GENERAL
    )
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class CaseEvent(models.Model):
    """One line of a case's timeline: a transition, an action taken, a deadline change."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
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
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    is_public = models.BooleanField(_("shown to the resident"), default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class AssignmentSlip(models.Model):
    """交办单: the director's written assignment, from which the deadline counts."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="slips")
    number = models.CharField(_("slip number"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    co_unit_names = models.JSONField(default=list, blank=True)
    complexity = models.CharField(max_length=16, choices=Complexity.choices)
    deadline = models.DateField()
    deadline_provisional = models.BooleanField(default=False)
    instructions = models.TextField(_("instructions"), blank=True)
    suggested_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_reason = models.TextField(_("reason for another unit"), blank=True)

    class Meta:
        ordering = ["issued_at"]
        verbose_name = _("assignment slip")
        verbose_name_plural = _("assignment slips")

    def __str__(self) -> str:
        return self.number


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ExtensionRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.TextField(_("reason"))
    new_deadline = models.DateField(_("new deadline"))
    status = models.CharField(
        max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    def __str__(self) -> str:
        return f"{self.case_id} → {self.new_deadline}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class FollowUp(models.Model):
    """回访: the resident's verdict on a resolved or closed case.

    Staff record it after a call or visit (``by``); a resident who rates the result on the
    tracking page records it without any staff member (``by_resident``). Exactly one of the
    two says who, so a rating can never be filed under a staff member's name.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_resident = models.BooleanField(_("rated by the resident online"), default=False)
    at = models.DateTimeField()
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices)
    comment = models.TextField(_("resident's comment"), blank=True)
    reopened = models.BooleanField(_("reopened"), default=False)
    close_reason = models.TextField(_("reason for keeping it closed"), blank=True)

    class Meta:
        ordering = ["at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(by_resident=True, by__isnull=True)
                | models.Q(by_resident=False, by__isnull=False),
                name="cases_followup_by_staff_or_resident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.satisfaction}"


class CaseMerge(models.Model):
    """Another report of the same matter joined to the case that handles it.

    The duplicate keeps its receipt number, its events and its own audit trail; its parties
    and attachments move to the case it joins, and the lists of what moved let the merge be
    undone exactly.
    """

    duplicate = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="merges_out")
    into = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="merges_in")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    previous_status = models.CharField(max_length=16, choices=Status.choices)
    party_ids = models.JSONField(default=list)
    attachment_ids = models.JSONField(default=list)
    reasons = models.JSONField(default=list, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        constraints = [
            models.UniqueConstraint(
                fields=["duplicate"],
                condition=models.Q(undone_at__isnull=True),
                name="cases_merge_one_active_per_duplicate",
            )
        ]

    def __str__(self) -> str:
        return f"{self.duplicate_id} → {self.into_id}"


class CaseLink(models.Model):
    """Two matters that are related (same place, same parties) but handled separately."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    other = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("related case")
        verbose_name_plural = _("related cases")
        constraints = [
            models.UniqueConstraint(fields=["case", "other"], name="cases_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(case=models.F("other")), name="cases_link_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ~ {self.other_id}"


class Counter(models.Model):
    """Per-year sequences for receipt and slip numbers, incremented under a row lock."""

    name = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="cases_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}-{self.year}: {self.value}"
