"""Public safety (公共安全): the places register, checklists, inspections, hazards and their
rectification.

Everything here is about places and matters — a market, a gas depot, a building site, the
hazard found there — never about the people who live or work in them (DESIGN.md §1). The
contact recorded for a place is the responsible organisation's, not a resident's.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yimen.org.models import Jurisdiction
from yimen.org.scoping import ScopedQuerySet


class PlaceType(models.TextChoices):
    CROWDED = "crowded", _("Crowded place (market, school surroundings, venue)")
    HAZARDOUS = "hazardous", _("Hazardous business (fuel, gas, fireworks storage)")
    RENTAL = "rental", _("Rental building, common areas")
    CONSTRUCTION = "construction", _("Construction site")
    OTHER = "other", _("Other place")


class Topic(models.TextChoices):
    """What a checklist item is about, to group the items on the inspection form."""

    FIRE = "fire", _("Fire safety")
    GAS = "gas", _("Gas")
    ELECTRICAL = "electrical", _("Electrical")
    EXITS = "exits", _("Exits and evacuation")
    CROWD = "crowd", _("Crowd control")
    STORAGE = "storage", _("Hazardous goods")
    SITE = "site", _("Site safety")


class Place(models.Model):
    """场所台账: one place the safety office inspects on a schedule."""

    name = models.CharField(_("name"), max_length=100)
    place_type = models.CharField(_("type of place"), max_length=16, choices=PlaceType.choices)
    address = models.CharField(_("address"), max_length=200)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    organisation = models.CharField(_("responsible organisation"), max_length=100)
    contact_name = models.CharField(_("organisation's contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("organisation's contact phone"), max_length=32, blank=True)
    inspection_days = models.PositiveSmallIntegerField(
        _("inspect every (days)"), default=30, help_text=_("Calendar days between inspections.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_inspected_on = models.DateField(_("last inspected on"), null=True, blank=True)
    # Kept with each inspection and each change of frequency, so "due" is one indexed query.
    inspection_due_on = models.DateField(_("inspection due on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction__path", "name", "id"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        indexes = [models.Index(fields=["inspection_due_on"], name="safety_place_due")]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """One point an inspector checks at every place of one type."""

    place_type = models.CharField(_("type of place"), max_length=16, choices=PlaceType.choices)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    text = models.CharField(_("item"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["place_type", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text


class Inspection(models.Model):
    """检查: one inspector's visit to one place, with each checklist item's result."""

    number = models.CharField(_("inspection number"), max_length=32, unique=True)
    # The phone form's idempotency key: the same form sent twice makes one inspection.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspected_at = models.DateTimeField(_("inspected at"), db_index=True)
    note = models.TextField(_("remarks"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "place__jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-inspected_at", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return self.number


class InspectionResult(models.Model):
    """One checklist item as found: passed, or failed with what was wrong.

    The item's text is copied, so an inspection reads as it was made after the checklist
    is edited.
    """

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(ChecklistItem, null=True, on_delete=models.SET_NULL, related_name="+")
    item_text = models.CharField(_("item"), max_length=200)
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="safety_result_once")
        ]

    def __str__(self) -> str:
        return self.item_text


class Source(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    PATROL = "patrol", _("Patrol")
    REPORT = "report", _("Report")


class HazardStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("hazard", "Open")
    RECTIFIED = "rectified", _("Rectified, awaiting re-inspection")
    SIGNED_OFF = "signed_off", _("Signed off")


# Not yet signed off: still on the rectification clock and on the map.
OUTSTANDING = (HazardStatus.OPEN, HazardStatus.RECTIFIED)


class Hazard(models.Model):
    """隐患: something unsafe at a place, to be rectified by a deadline in working days."""

    number = models.CharField(_("hazard number"), max_length=32, unique=True)
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"))
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    source = models.CharField(_("found by"), max_length=16, choices=Source.choices)
    result = models.OneToOneField(
        InspectionResult,
        verbose_name=_("inspection result"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazard",
    )
    responsible_org = models.CharField(_("responsible organisation"), max_length=100, blank=True)
    found_on = models.DateField(_("found on"))
    working_days = models.PositiveSmallIntegerField(_("working days to rectify"))
    deadline = models.DateField(_("rectify by"), db_index=True)
    deadline_provisional = models.BooleanField(_("provisional deadline"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=HazardStatus.choices, default=HazardStatus.OPEN
    )
    rectified_at = models.DateTimeField(_("rectified on"), null=True, blank=True)
    rectification_note = models.TextField(_("what was done"), blank=True)
    signed_off_at = models.DateTimeField(_("signed off on"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")

    def __str__(self) -> str:
        return self.number


class HazardAction(models.TextChoices):
    REPORTED = "reported", _("Reported")
    RECTIFIED = "rectified", _("Rectification recorded")
    SIGNED_OFF = "signed_off", _("Re-inspected and signed off")
    REOPENED = "reopened", _("Re-inspected: not fixed, open again")
    REASSIGNED = "reassigned", _("Responsible organisation changed")
    DEADLINE_RECOMPUTED = "deadline_recomputed", _("Deadline counted again")


class HazardEvent(models.Model):
    """A line of a hazard's history: reported, rectified, re-inspected, reassigned."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=32, choices=HazardAction.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.action}"


class PhotoStage(models.TextChoices):
    FOUND = "found", _("As found")
    RECTIFIED = "rectified", _("After rectification")
    REINSPECTED = "reinspected", _("At re-inspection")


class Photo(models.Model):
    """A photo of an inspection item or a hazard, re-encoded on upload (no EXIF, no GPS)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    result = models.ForeignKey(
        InspectionResult, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    hazard = models.ForeignKey(
        Hazard, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=PhotoStage.choices, default=PhotoStage.FOUND
    )
    image = models.FileField(_("photo"), upload_to="safety/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.image.name


class HazardAlert(models.Model):
    """The sweep told the safety office that a rectification is overdue: once per hazard
    and deadline. The unique constraint is the claim, as for meeting tasks."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="alerts")
    deadline = models.DateField(_("deadline"))
    batch = models.UUIDField(_("sweep batch"))
    created_at = models.DateTimeField(_("raised at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "deadline"], name="safety_hazard_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.deadline}"
