"""The jurisdiction tree (district → street → community → grid), units and staff accounts."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street / township")
    COMMUNITY = "community", _("Community / village")
    GRID = "grid", _("Grid")


# Each level's only allowed parent level; a root may be of any level.
PARENT_LEVEL = {
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
    Level.GRID: Level.COMMUNITY,
}


# Sent by ``Jurisdiction.save`` in its transaction when a node and its subtree moved under
# another parent, with ``node`` (its pk), ``old_path`` and ``new_path``: for what is kept
# per node of the tree (the dashboard's roll-up).
subtree_moved = Signal()


def depth_of(path: str) -> int:
    """How far below the top a node's ``path`` puts it (the top node is 0)."""
    return path.count("/") - 2


class Jurisdiction(models.Model):
    """A node of the jurisdiction tree.

    ``path`` holds the zero-padded primary keys from the root down ("/0000000001/0000000004/"),
    so a subtree is one indexed prefix query, in tree order; primary keys never change, so
    renaming a code moves nothing.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    polygon = models.JSONField(
        _("boundary (GeoJSON polygon)"),
        null=True,
        blank=True,
        help_text=_("A GeoJSON Polygon or MultiPolygon in WGS 84 longitude/latitude."),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    scope_path = "path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")

    def __str__(self) -> str:
        return self.name

    @transaction.atomic
    def save(self, *args, **kwargs):
        """Keep ``path`` equal to the parent's path plus this node, moving the subtree with it."""
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        expected = f"{parent_path}{self.pk:010d}/"
        if self.path != expected:
            old, self.path = self.path, expected
            type(self).objects.filter(pk=self.pk).update(path=expected)
            if old:
                type(self).objects.filter(path__startswith=old).exclude(pk=self.pk).update(
                    path=Concat(Value(expected), Substr(F("path"), len(old) + 1))
                )
                subtree_moved.send(type(self), node=self.pk, old_path=old, new_path=expected)

    @property
    def depth(self) -> int:
        return depth_of(self.path)


class UnitKind(models.TextChoices):
    HALL = "hall", _("Service hall / center")
    OFFICE = "office", _("Office of the center")
    MEDIATION = "mediation", _("People's mediation committee")
    JUDICIAL = "judicial", _("Judicial office")
    POLICE = "police", _("Police station")
    PETITION = "petition", _("Petition (letters and visits) office")
    COURT = "court", _("People's court tribunal")
    SAFETY = "safety", _("Work-safety office")
    WORKSTATION = "workstation", _("Community workstation")
    OTHER = "other", _("Other department")


class Unit(models.Model):
    """A body that receives or handles matters: an office, a committee, a police station…"""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="units"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction__path", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="org_unit_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class Role(models.TextChoices):
    """The staff roles of DESIGN.md §2. Residents need no account."""

    DESK = "desk", _("Front desk")
    DIRECTOR = "director", _("Center director")
    UNIT = "unit", _("Handling unit")
    MEDIATOR = "mediator", _("Mediator")
    GRID = "grid", _("Grid worker")
    SUPERVISOR = "supervisor", _("Supervisor")
    LEADER = "leader", _("Responsible leader")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """A staff account, placed at one node of the tree and, optionally, in one unit."""

    display_name = models.CharField(_("full name"), max_length=50, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.DESK)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    phone = models.CharField(_("work phone"), max_length=32, blank=True)

    scope_path = "jurisdiction__path"
    objects = ScopedUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def visible_path(self) -> str | None:
        """The subtree this user may see, or None for nothing at all (fails closed)."""
        if not self.is_active or self.jurisdiction_id is None:
            return None
        return self.jurisdiction.path


class Shift(models.TextChoices):
    DAY = "day", _("Day shift")
    NIGHT = "night", _("Night shift")


class DutyShift(models.Model):
    """值班表: one staff member on duty at one node for one shift of one day.

    Two shifts a day give 24-hour cover; the night shift runs into the next morning and
    belongs to the day it starts on. ``is_leader`` marks the leader on duty (带班领导).
    The roster is who urgent matters and incidents reach first (``yimen.org.roster``).
    """

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("place"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    shift = models.CharField(_("shift"), max_length=8, choices=Shift.choices)
    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="duty_shifts"
    )
    is_leader = models.BooleanField(_("leader on duty"), default=False)

    scope_path = "jurisdiction__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["day", "shift", "-is_leader", "user_id"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "day", "shift", "user"], name="org_duty_once"
            )
        ]
        indexes = [models.Index(fields=["day", "shift"], name="org_duty_day_shift")]

    def __str__(self) -> str:
        return f"{self.day} {self.shift} {self.user_id}"
