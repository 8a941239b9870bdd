from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "yimen.safety"
    verbose_name = _("Public safety")

    def ready(self) -> None:
        from yimen.workdays.services import schedule_changed

        from .services import recompute_provisional_deadlines

        def on_schedule_changed(sender, year: int, **kwargs) -> None:
            recompute_provisional_deadlines(year)

        schedule_changed.connect(
            on_schedule_changed, weak=False, dispatch_uid="safety.recompute_deadlines"
        )
