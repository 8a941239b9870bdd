from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yimen.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from yimen.workdays.services import schedule_changed

        from .workflow import recompute_provisional_deadlines

        def on_schedule_changed(sender, year: int, **kwargs) -> None:
            recompute_provisional_deadlines(year)

        schedule_changed.connect(
            on_schedule_changed, weak=False, dispatch_uid="cases.recompute_deadlines"
        )
