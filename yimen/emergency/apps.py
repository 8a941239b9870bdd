from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "yimen.emergency"
    verbose_name = _("Emergency incidents")
