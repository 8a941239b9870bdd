"""What was suggested for each case, what the director chose, and each training run."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Case, Category
from yimen.org.models import Unit


class Source(models.TextChoices):
    MODEL = "model", _("trained model")
    RULES = "rules", _("keyword rules")


class Suggestion(models.Model):
    """The categories suggested when the matter was registered, and the choice made later.

    The choice is the category and lead unit the case was assigned with (交办), so the
    monthly accuracy compares the suggestion with what a person decided.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="triage")
    at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices)
    # [[category code, confidence], ...], best first, at most three.
    categories = models.JSONField(default=list, blank=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    model_trained_at = models.DateTimeField(null=True, blank=True)
    chosen_category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chosen_unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(null=True, blank=True, db_index=True)

    scope_path = "case__jurisdiction__path"

    class Meta:
        verbose_name = _("category suggestion")
        verbose_name_plural = _("category suggestions")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.categories}"

    @property
    def codes(self) -> list[str]:
        return [code for code, _confidence in self.categories]


class RunStatus(models.TextChoices):
    TRAINED = "trained", _("trained")
    TOO_FEW = "too_few", _("too few closed cases")
    FAILED = "failed", _("failed")


class TrainingRun(models.Model):
    at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=RunStatus.choices)
    samples = models.PositiveIntegerField(default=0)
    categories = models.PositiveSmallIntegerField(default=0)
    seconds = models.FloatField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("training run")
        verbose_name_plural = _("training runs")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status}"
