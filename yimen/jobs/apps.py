from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "yimen.jobs"
    label = "jobs"
    verbose_name = _("Background tasks")

    def ready(self) -> None:
        from celery.signals import task_failure

        from .services import record_failure

        task_failure.connect(record_failure, dispatch_uid="yimen.jobs.record_failure")
