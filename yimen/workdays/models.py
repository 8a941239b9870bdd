"""The working-day calendar as data: the published years and their exceptional days."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    PACKAGE = "chinesecalendar", _("State Council schedule (chinesecalendar package)")
    ADMIN = "admin", _("Published schedule entered by an administrator")
    LOCAL = "local", _("Local change by an administrator")


class CalendarYear(models.Model):
    """A year whose official schedule is loaded. Years without a row are provisional."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("published year")
        verbose_name_plural = _("published years")

    def __str__(self) -> str:
        return str(self.year)


class SpecialDay(models.Model):
    """A day that differs from "Monday to Friday work": a holiday, or a 调休 working weekend.

    Every other day follows the weekday rule, so a year is a few dozen rows.
    """

    date = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("special day")
        verbose_name_plural = _("special days")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
