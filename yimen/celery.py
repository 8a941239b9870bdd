"""The Celery app: background work (deadline sweep, e-mail, webhook deliveries).

Configured from Django settings under the ``CELERY_`` prefix (see ``settings.py``): on the
default setup the broker is a folder under ``var/`` that ``make run``'s worker reads; in
production it is Redis (``CELERY_BROKER_URL``). Tasks are acknowledged only after they
finish, so a worker killed mid-task leaves its message to be delivered again.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")

# Every task, including a plain ``@shared_task``, gets retries and the failed-task record.
app = Celery("yimen", task_cls="yimen.jobs.base:YimenTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
