"""The failed-tasks page: tasks whose last try failed, with "retry" and "dismiss"."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.org.permissions import require

from .models import FailedTask
from .services import QueueUnavailable, can_manage_jobs, dismiss_failed, retry_failed

PAGE_SIZE = 50


@require(can_manage_jobs)
def failed_list(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    tasks = FailedTask.objects.select_related("resolved_by")
    if not show_all:
        tasks = tasks.filter(resolved_at__isnull=True)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show_all": show_all,
        "open_count": FailedTask.objects.filter(resolved_at__isnull=True).count(),
    }
    return render(request, "jobs/failed.html", context)


@require_POST
@require(can_manage_jobs)
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    # Failed tasks are not scoped to a jurisdiction: the permission above is the whole check.
    failed = get_object_or_404(FailedTask, pk=pk)
    try:
        done = retry_failed(failed, actor=request.user)
    except QueueUnavailable:
        messages.error(
            request, _("The task queue did not answer; nothing was sent. Try again later.")
        )
        return redirect("jobs:failed")
    if done:
        messages.success(request, _("“%(task)s” was sent again.") % {"task": failed.task_name})
    else:
        messages.info(request, _("Someone else already handled this task."))
    return redirect("jobs:failed")


@require_POST
@require(can_manage_jobs)
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    failed = get_object_or_404(FailedTask, pk=pk)
    if dismiss_failed(failed, actor=request.user):
        messages.success(request, _("“%(task)s” was dismissed.") % {"task": failed.task_name})
    else:
        messages.info(request, _("Someone else already handled this task."))
    return redirect("jobs:failed")
