"""Field work (网格化工作): who answers for each grid, patrol logs, screening campaigns.

Grids themselves are nodes of the jurisdiction tree (``org.Jurisdiction`` of level GRID,
with their GeoJSON boundary); this app only adds the work done in them. A patrol records a
worker's work — where, when, what was checked, what was found — never residents: a finding
is a matter (a blocked fire exit, a neighbours' quarrel), and becomes a case or a hazard.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, Category
from yimen.org.models import Jurisdiction
from yimen.org.scoping import ScopedQuerySet
from yimen.safety.models import Hazard


class GridAssignment(models.Model):
    """The grid worker (网格员) who answers for one grid; a worker may answer for several."""

    grid = models.OneToOneField(
        Jurisdiction, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="assignment"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid worker"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now=True)

    scope_path = "grid__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")

    def __str__(self) -> str:
        return f"{self.grid} · {self.worker}"


class Patrol(models.Model):
    """巡查记录: one round of a grid by its worker, from start to end."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid worker"),
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    grid = models.ForeignKey(
        Jurisdiction, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="patrols"
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    checked = models.TextField(_("what was checked"))
    # The form's idempotency key: a form sent twice (resent after a lost network) makes one.
    client_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "grid__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        indexes = [models.Index(fields=["grid", "-started_at"], name="fieldwork_patrol_grid")]

    def __str__(self) -> str:
        return f"{self.grid} {self.started_at:%Y-%m-%d %H:%M}"


class Finding(models.Model):
    """Something a patrol found, and what it became: a case, a hazard, or a note only."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="findings")
    text = models.TextField(_("what was found"))
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    outside_reason = models.TextField(_("why the point lies outside the grid"), blank=True)
    case = models.OneToOneField(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrol_finding",
    )
    hazard = models.OneToOneField(
        Hazard,
        verbose_name=_("hazard"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrol_finding",
    )

    scope_path = "patrol__grid__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return self.text[:50]

    @property
    def is_raised(self) -> bool:
        """Whether it already became a case or a hazard (it becomes one at most)."""
        return self.case_id is not None or self.hazard_id is not None


class FindingPhoto(models.Model):
    """A photo of a finding, re-encoded on upload (no EXIF, no GPS of the phone)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to="fieldwork/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)

    scope_path = "finding__patrol__grid__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("finding photo")
        verbose_name_plural = _("finding photos")

    def __str__(self) -> str:
        return self.original_name


class CampaignKind(models.TextChoices):
    ROUTINE = "routine", _("Routine screening")
    SPECIAL = "special", _("Special screening")
    HOLIDAY = "holiday", _("Holiday screening")


class CampaignQuerySet(models.QuerySet):
    def for_user(self, user: object) -> "CampaignQuerySet":
        """Campaigns with at least one grid the user serves; nothing when they serve none.

        A street's campaign is seen by each community in it, for that community's grids.
        """
        path = getattr(user, "visible_path", None) if user.is_authenticated else None
        if not path:
            return self.none()
        mine = CampaignGrid.objects.filter(campaign=OuterRef("pk"), grid__path__startswith=path)
        return self.filter(Exists(mine))


class Campaign(models.Model):
    """排查: a screening of a set of grids over a period, against a checklist."""

    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    title = models.CharField(_("title"), max_length=100)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("organised at"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    checklist = models.TextField(_("checklist"), blank=True, help_text=_("One item per line."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")

    def __str__(self) -> str:
        return self.title

    @property
    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class CampaignGrid(models.Model):
    """One grid in a campaign's scope, and its report once made (each grid reports once)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="grids")
    grid = models.ForeignKey(
        Jurisdiction, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    nothing_found = models.BooleanField(_("checked, nothing found"), default=False)

    scope_path = "grid__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid__path"]
        verbose_name = _("grid in a campaign")
        verbose_name_plural = _("grids in a campaign")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grid"], name="fieldwork_campaign_grid")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.grid}"


class ScreeningFinding(models.Model):
    """A matter a grid found in a campaign; each becomes a case (channel: screening)."""

    report = models.ForeignKey(CampaignGrid, on_delete=models.CASCADE, related_name="findings")
    text = models.TextField(_("what was found"))
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="screening_finding"
    )

    scope_path = "report__grid__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("screening finding")
        verbose_name_plural = _("screening findings")

    def __str__(self) -> str:
        return self.text[:50]
