"""Open311 clients and their keys, the extra questions a service asks, and what came in.

A client's key is shown once, when it is issued; only its SHA-256 is stored. Nothing here
holds a requester's name, phone or e-mail: those go to the case's applicant party through
the ordinary intake, where masking, access logging and anonymisation apply (DESIGN.md §1).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, CaseEvent, Category


class Open311Client(models.Model):
    """An application allowed to submit requests (FixMyStreet, a city app, a mini-program)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name


class Datatype(models.TextChoices):
    STRING = "string", _("Text on one line")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Text")
    SINGLE = "singlevaluelist", _("One choice")
    MULTI = "multivaluelist", _("Several choices")


class ServiceAttribute(models.Model):
    """An extra question a service (a category) asks in its Open311 service definition.

    ``values`` holds the choices of a list, as ``[{"key", "name", "name_en"}]``. An attribute
    that is not ``variable`` asks nothing: it only shows its description to the resident.
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.SlugField(_("code"), max_length=32)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    variable = models.BooleanField(_("asks for an answer"), default=True)
    datatype = models.CharField(_("kind of answer"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    description = models.CharField(_("question"), max_length=300)
    description_en = models.CharField(_("question in English"), max_length=300, blank=True)
    datatype_description = models.CharField(_("hint"), max_length=200, blank=True)
    values = models.JSONField(_("choices"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "order", "code"]
        verbose_name = _("service attribute")
        verbose_name_plural = _("service attributes")
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category.code}.{self.code}"


class Open311Request(models.Model):
    """A case that came in through Open311: which client sent it, its token and its answers.

    Only these cases are visible through the Open311 GET methods; matters brought to the hall,
    by letter or by phone never leave Yimen that way.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="open311")
    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=32, unique=True)
    answers = models.JSONField(default=list, blank=True)
    media_urls = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return f"{self.client} · {self.case_id}"


class Open311Update(models.Model):
    """A note a client posted to ``servicerequestupdates``, keyed by the client's own id.

    The key makes a retried post harmless: the same ``update_id`` gives back the same note.
    """

    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="updates")
    client_update_id = models.CharField(max_length=100, blank=True)
    event = models.OneToOneField(CaseEvent, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "client_update_id"],
                condition=~models.Q(client_update_id=""),
                name="open311_update_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.client_update_id or self.event_id}"
