from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "yimen.mediation"
    verbose_name = _("People's mediation")
