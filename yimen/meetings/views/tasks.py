"""The meetings' tasks: the list with its filters, and a task's page (complete, reopen).

A task is fetched through ``Task.objects.for_user``: the tasks of the meetings the user sees,
and their own. Its page links to its meeting only for those who may see the meeting.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases.workflow import WorkflowError
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import rules, services
from ..forms import CompleteTaskForm, ReopenTaskForm
from ..models import Meeting, Task
from ..queries import ALL, MINE, OPEN, STATES, WHO, filter_tasks, visible_tasks, with_time_left
from . import put_errors

PAGE_SIZE = 50


@require(staff)
def task_list(request: HttpRequest) -> HttpResponse:
    """Mine or all in scope; open, overdue or done."""
    user, today = request.user, timezone.localdate()
    who = request.GET.get("who") if request.GET.get("who") in WHO else MINE
    state = request.GET.get("state") if request.GET.get("state") in STATES else OPEN
    tasks = filter_tasks(visible_tasks(user), user, who, state, today)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_time_left(page.object_list, today)
    context = {
        "page": page,
        "who": who,
        "state": state,
        "whos": [(MINE, _("Mine")), (ALL, _("All in my jurisdiction"))],
        "states": [(OPEN, _("Open")), ("overdue", _("Overdue")), ("done", _("Done"))],
    }
    return render(request, "meetings/tasks.html", context)


def render_task(
    request: HttpRequest,
    task: Task,
    *,
    bound: Any = None,
    error: WorkflowError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The task page; after a refused action, with the reason and the form as typed."""
    user = request.user
    context = {
        "task": with_time_left([task], timezone.localdate())[0],
        "events": task.events.select_related("actor"),
        "sees_meeting": Meeting.objects.for_user(user).filter(pk=task.meeting_id).exists(),
        "error": error,
    }
    for name, form_class, allowed in (
        ("complete_form", CompleteTaskForm, rules.may_complete(user, task)),
        ("reopen_form", ReopenTaskForm, rules.may_reopen(user, task)),
    ):
        if allowed:
            context[name] = bound if isinstance(bound, form_class) else form_class()
    return render(request, "meetings/task.html", context, status=status)


def _task(request: HttpRequest, pk: int) -> Task:
    return get_for_user_or_404(Task, request.user, pk=pk)


@require(staff)
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_task(request, _task(request, pk))


def _act(request: HttpRequest, pk: int, form_class: type, perform: Any) -> HttpResponse:
    task = _task(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return render_task(request, task, bound=form, status=400)
    try:
        done = perform(task, request.user, form.cleaned_data)
    except WorkflowError as exc:
        error = put_errors(form, exc)
        return render_task(request, task, bound=form, error=error, status=exc.status)
    messages.success(request, done)
    return redirect("meetings:task", task.pk)


@require(staff)
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(task: Task, user: Any, data: dict[str, Any]) -> str:
        services.complete_task(task, actor=user, result=data["result"])
        return _("Task %(number)s is done.") % {"number": task.number}

    return _act(request, pk, CompleteTaskForm, perform)


@require(staff)
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(task: Task, user: Any, data: dict[str, Any]) -> str:
        services.reopen_task(task, actor=user, reason=data["reason"], deadline=data["deadline"])
        return _("Task %(number)s is open again.") % {"number": task.number}

    return _act(request, pk, ReopenTaskForm, perform)


urlpatterns = [
    path("tasks/", task_list, name="tasks"),
    path("tasks/<int:pk>/", task_detail, name="task"),
    path("tasks/<int:pk>/complete/", complete, name="complete_task"),
    path("tasks/<int:pk>/reopen/", reopen, name="reopen_task"),
]
