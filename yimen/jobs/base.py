"""The base class of every Yimen task: retried with back-off, acknowledged late.

A task that raises is tried again after 10 s, 20 s, 40 s (with jitter); when the last try
fails, Celery's ``task_failure`` signal writes a ``FailedTask`` (see ``services``). Tasks take
ids, never personal data, as arguments: arguments are kept on the failed-task page.
"""

from celery.contrib.django.task import DjangoTask


class YimenTask(DjangoTask):
    autoretry_for = (Exception,)
    max_retries = 3
    retry_backoff = 10
    retry_backoff_max = 600
    retry_jitter = True
