from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class LedgersConfig(AppConfig):
    name = "yimen.ledgers"
    verbose_name = _("Ledgers")

    def ready(self) -> None:
        # Each app declares its registers in its own ``ledgers`` module.
        autodiscover_modules("ledgers")
