from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "yimen.dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the roll-up to case and timeline saves
