"""People's mediation (人民调解): committees' rosters, and each mediation of a dispute case.

A committee is an ``org.Unit`` of kind MEDIATION; its roster is ``CommitteeMember`` rows.
A mediation belongs to one case and records what the law asks of it: the parties' consent,
that they were told mediation does not limit their right to go to court, who mediated,
each session, the outcome and the path the parties chose, the agreement and its follow-up
visits. Members are recorded only as the roster needs them (name, gender for the
composition rule, role, phone); parties only as parties to the matter (DESIGN.md §1).

The shape serves the half-monthly and monthly reports: mediations opened per category
(``Mediation.opened_at`` and the case's category), their outcome (``outcome``,
``concluded_at``), agreements signed with the amount involved (``AgreementDocument``
``signed_at``, ``amount``, ``is_partial``) and follow-up visits done (``FollowUpVisit``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Attachment, Case, Party
from yimen.org.models import Unit
from yimen.org.scoping import ScopedQuerySet


class Gender(models.TextChoices):
    FEMALE = "female", _("Woman")
    MALE = "male", _("Man")


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair (主任)")
    DEPUTY = "deputy", _("Deputy chair (副主任)")
    MEMBER = "member", _("Member (委员)")


class CommitteeMember(models.Model):
    """One person on a committee's roster (调委会委员)."""

    committee = models.ForeignKey(
        Unit, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("full name"), max_length=50)
    gender = models.CharField(
        _("gender"),
        max_length=8,
        choices=Gender.choices,
        help_text=_("Only for the rule that a committee has at least one woman."),
    )
    role = models.CharField(
        _("role"), max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committee_memberships",
    )
    is_active = models.BooleanField(_("on the committee"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    scope_path = "committee__jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["committee", "position", "id"]
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    AGREED = "agreed", _("Agreement reached")
    PARTIAL = "partial", _("Partial agreement")
    FAILED = "failed", _("Mediation failed")
    REFUSED = "refused", _("Mediation refused")
    WITHDRAWN = "withdrawn", _("A party withdrew")
    TRANSFERRED = "transferred", _("Outside people's mediation (transferred)")


# Outcomes after which the parties must be offered another path (never a dead end).
NEEDS_NEXT_PATH = (Outcome.FAILED, Outcome.REFUSED, Outcome.WITHDRAWN)


class NextPath(models.TextChoices):
    COURT = "court", _("Go to the people's court")
    LEGAL_AID = "legal_aid", _("Apply for legal aid")
    LABOUR_ARBITRATION = "labour_arbitration", _("Labour dispute arbitration")
    OTHER_BODY = "other_body", _("Another body")


class MediationQuerySet(models.QuerySet):
    def for_user(self, user) -> "MediationQuerySet":
        """Mediations of the cases this user may see: the cases' scoping decides."""
        return self.filter(case__in=Case.objects.for_user(user).values("pk"))


class Mediation(models.Model):
    """The people's mediation of one dispute case (人民调解案件)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="mediation")
    committee = models.ForeignKey(
        Unit, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="mediations"
    )
    number = models.CharField(_("mediation number"), max_length=32, unique=True)
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    mediators = models.ManyToManyField(
        CommitteeMember, verbose_name=_("mediators"), blank=True, related_name="mediations"
    )
    rights_notice_given_at = models.DateTimeField(
        _("told of the right to go to court at"), null=True, blank=True
    )
    rights_notice_given_by = models.ForeignKey(
        CommitteeMember,
        verbose_name=_("told by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rights_notice_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(_("what happened"), blank=True)
    concluded_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_path = models.CharField(
        _("path the parties chose"), max_length=24, choices=NextPath.choices, blank=True
    )
    next_body = models.CharField(_("body"), max_length=100, blank=True)
    next_path_note = models.TextField(_("note"), blank=True)
    times_reopened = models.PositiveSmallIntegerField(default=0)

    scope_path = "case__jurisdiction__path"
    objects = MediationQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("mediation")
        verbose_name_plural = _("mediations")
        indexes = [
            models.Index(fields=["committee", "outcome"], name="mediation_committee_outcome"),
            models.Index(fields=["outcome", "concluded_at"], name="mediation_outcome_at"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return not self.outcome


class Consent(models.TextChoices):
    GIVEN = "given", _("Consents to mediation")
    REFUSED = "refused", _("Refuses mediation")
    WITHDRAWN = "withdrawn", _("Withdraws from mediation")


class ConsentRecord(models.Model):
    """A party's word on mediating: the latest record per party is what stands."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="consents")
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.CASCADE)
    decision = models.CharField(_("consent"), max_length=12, choices=Consent.choices)
    at = models.DateTimeField(_("time"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.party_id} {self.decision}"


class Recusal(models.Model):
    """回避: a member related to a party does not mediate this matter."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="recusals")
    member = models.ForeignKey(
        CommitteeMember, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("time"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [
            models.UniqueConstraint(fields=["mediation", "member"], name="mediation_recusal_once")
        ]

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.member_id}"


class Session(models.Model):
    """A mediation session (调解): planned until its record is written."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("date and time"), db_index=True)
    place = models.CharField(_("venue"), max_length=200)
    mediators = models.ManyToManyField(
        CommitteeMember, verbose_name=_("mediators"), related_name="sessions"
    )
    attendees = models.TextField(_("attendees"), blank=True)
    record = models.TextField(_("what was said and agreed"), blank=True)
    attachments = models.ManyToManyField(
        Attachment, verbose_name=_("documents"), blank=True, related_name="+"
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_held(self) -> bool:
        return self.recorded_at is not None


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class AgreementDocument(models.Model):
    """人民调解协议书: edited as a draft, then signed, frozen and stored as a PDF."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="agreements")
    number = models.CharField(_("agreement number"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    is_partial = models.BooleanField(_("partial agreement"), default=False)
    # The parties as the document names them (name and role only), fixed at signing.
    parties = models.JSONField(default=list, blank=True)
    dispute_summary = models.TextField(_("the dispute"))
    terms = models.TextField(_("terms"), help_text=_("One term per line; they are numbered."))
    performance_method = models.TextField(_("how it is performed"), blank=True)
    performance_deadline = models.DateField(_("performed by"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount involved (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    unresolved = models.TextField(_("what remains unresolved"), blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(_("drafted at"))
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, db_index=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf = models.FileField(_("signed agreement (PDF)"), upload_to="mediation/%Y/", blank=True)

    class Meta:
        ordering = ["drafted_at", "id"]
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=~models.Q(number=""),
                name="mediation_agreement_number_unique",
            ),
            models.UniqueConstraint(
                fields=["mediation"],
                condition=models.Q(status="draft"),
                name="mediation_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"draft {self.pk}"

    @property
    def is_signed(self) -> bool:
        return self.status == AgreementStatus.SIGNED

    @property
    def term_lines(self) -> list[str]:
        return [line.strip() for line in self.terms.splitlines() if line.strip()]


class JudicialConfirmation(models.Model):
    """司法确认申请: prepared from a signed agreement for the parties to file with the court."""

    agreement = models.OneToOneField(
        AgreementDocument, on_delete=models.CASCADE, related_name="judicial_confirmation"
    )
    court = models.CharField(_("court"), max_length=100)
    prepared_at = models.DateTimeField(_("prepared at"))
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("judicial confirmation application")
        verbose_name_plural = _("judicial confirmation applications")

    def __str__(self) -> str:
        return f"{self.agreement} → {self.court}"


class Performed(models.TextChoices):
    YES = "yes", _("Performed")
    PARTLY = "partly", _("Partly performed, on time so far")
    NO = "no", _("Not performed")


class FollowUpVisit(models.Model):
    """回访: a task created with every signed agreement, done when the visit is recorded."""

    mediation = models.ForeignKey(
        Mediation, on_delete=models.CASCADE, related_name="follow_up_visits"
    )
    agreement = models.ForeignKey(
        AgreementDocument, on_delete=models.CASCADE, related_name="follow_up_visits"
    )
    due_on = models.DateField(_("due on"), db_index=True)
    done_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    performed = models.CharField(
        _("agreement performed?"), max_length=8, choices=Performed.choices, blank=True
    )
    settled = models.BooleanField(_("dispute settled?"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    reopened = models.BooleanField(_("reopened the matter"), default=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.due_on}"
