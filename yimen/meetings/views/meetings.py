"""The meetings: the list, planning one, and the meeting page with its agenda, minutes,
attendance and decisions.

Each action is a POST that calls one service function; a refusal draws the meeting page
again with the reason beside what was typed, with the status the service gives (400, 403,
409). A meeting is fetched only through ``get_for_user_or_404``.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases.workflow import WorkflowError
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import rules, services
from ..agenda import source_label
from ..forms import AgendaItemForm, AttendanceForm, DecisionForm, MeetingForm, MinutesForm
from ..models import AgendaItem, Meeting, TaskStatus
from ..queries import agenda_for, visible_meetings, with_time_left
from . import put_errors

PAGE_SIZE = 30


@require(staff)
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = (
        visible_meetings(request.user)
        .annotate(
            decisions=Count("tasks"),
            open_decisions=Count("tasks", filter=Q(tasks__status=TaskStatus.OPEN)),
        )
        .order_by("-month", "jurisdiction__path", "pk")
    )
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "may_plan": rules.may_plan(request.user)}
    return render(request, "meetings/list.html", context)


@require(staff)
def plan(request: HttpRequest) -> HttpResponse:
    """Plan this node's meeting of a month (this month unless another is chosen)."""
    user = request.user
    form = MeetingForm(request.POST or None, path=user.jurisdiction.path)
    status, error = 200, None
    try:
        services.check_plan(user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            meeting = services.plan_meeting(
                actor=user, month=data["month"], starts_at=data["starts_at"],
                place=data["place"], chair=data["chair"],
            )  # fmt: skip
            messages.success(
                request,
                _("The meeting for %(month)s is planned and its agenda generated.")
                % {"month": f"{meeting.month:%Y-%m}"},
            )
            return redirect("meetings:detail", meeting.pk)
        status = 400 if form.errors else 200
    except WorkflowError as exc:
        error = put_errors(form, exc)
        status = exc.status
    context = {"form": form, "error": error}
    return render(request, "meetings/form.html", context, status=status)


@require(staff)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the time, place or chair of a meeting not yet held."""
    user = request.user
    meeting = get_for_user_or_404(Meeting, user, pk=pk)
    initial = {"starts_at": timezone.localtime(meeting.starts_at), "place": meeting.place,
               "chair": meeting.chair_id}  # fmt: skip
    form = MeetingForm(
        request.POST or None, initial=initial, path=meeting.jurisdiction.path, meeting=meeting
    )
    status, error = 200, None
    try:
        services.check_change(meeting, user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            services.update_meeting(
                meeting, actor=user, starts_at=data["starts_at"], place=data["place"],
                chair=data["chair"],
            )  # fmt: skip
            messages.success(request, _("The meeting was updated."))
            return redirect("meetings:detail", meeting.pk)
        status = 400 if form.errors else 200
    except WorkflowError as exc:
        error = put_errors(form, exc)
        status = exc.status
    context = {"form": form, "meeting": meeting, "error": error}
    return render(request, "meetings/form.html", context, status=status)


def render_meeting(
    request: HttpRequest,
    meeting: Meeting,
    *,
    bound: dict[str, Any] | None = None,
    error: WorkflowError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The meeting page; after a refused action, with the reason and the form as typed."""
    user, bound = request.user, bound or {}
    agenda = agenda_for(meeting, user)
    for item in agenda:
        item.source_label = source_label(item.source)
    attendance = list(meeting.attendance.select_related("user__jurisdiction"))
    tasks = meeting.tasks.select_related("owner__jurisdiction").order_by("deadline", "pk")
    context = {
        "meeting": meeting,
        "agenda": agenda,
        "present": [a.user for a in attendance if a.present],
        "absent": [a for a in attendance if not a.present],
        "tasks": with_time_left(tasks, timezone.localdate()),
        "may_edit": rules.may_edit(user, meeting),
        "may_edit_agenda": rules.may_edit_agenda(user, meeting),
        "error": error,
    }
    if context["may_edit_agenda"]:
        context["item_form"] = bound.get("item") or AgendaItemForm()
    if context["may_edit"]:
        context["minutes_form"] = bound.get("minutes") or MinutesForm(
            initial={"minutes": meeting.minutes}
        )
        context["attendance_form"] = bound.get("attendance") or AttendanceForm(meeting=meeting)
        context["decision_form"] = bound.get("decision") or DecisionForm(meeting=meeting)
    return render(request, "meetings/detail.html", context, status=status)


@require(staff)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_meeting(request, get_for_user_or_404(Meeting, request.user, pk=pk))


def _act(
    request: HttpRequest,
    pk: int,
    perform: Callable[[Meeting, Any, Any], str],
    *,
    form: tuple[str, Callable[..., Any]] | None = None,
    anchor: str = "",
) -> HttpResponse:
    """Run one action on the meeting; a refusal redraws the page with the reason, as typed."""
    meeting = get_for_user_or_404(Meeting, request.user, pk=pk)
    name, make = form or ("", None)
    bound = make(request.POST, meeting=meeting) if make else None
    if bound is not None and not bound.is_valid():
        return render_meeting(request, meeting, bound={name: bound}, status=400)
    try:
        done = perform(meeting, request.user, bound)
    except WorkflowError as exc:
        error = put_errors(bound, exc) if bound is not None else exc
        return render_meeting(request, meeting, bound={name: bound}, error=error, status=exc.status)
    messages.success(request, done)
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + anchor)


def _form(form_class: type) -> Callable[..., Any]:
    """A form of the meeting page that does not need the meeting."""
    return lambda data, meeting: form_class(data)


def _item(meeting: Meeting, item_pk: int) -> AgendaItem:
    item = meeting.agenda.filter(pk=item_pk).first()
    if item is None:
        raise Http404
    return item


@require(staff)
@require_POST
def regenerate_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: None) -> str:
        n = services.regenerate_agenda(meeting, actor=user)
        return _("The agenda was generated again from the month's data: %(n)d items.") % {"n": n}

    return _act(request, pk, perform, anchor="#agenda")


@require(staff)
@require_POST
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: AgendaItemForm) -> str:
        data = form.cleaned_data
        services.add_agenda_item(meeting, actor=user, title=data["title"], detail=data["detail"])
        return _("The item was added to the agenda.")

    return _act(request, pk, perform, form=("item", _form(AgendaItemForm)), anchor="#agenda")


@require(staff)
@require_POST
def move_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: None) -> str:
        item = _item(meeting, item_pk)
        services.move_agenda_item(item, actor=user, up=request.POST.get("direction") == "up")
        return _("The agenda order was changed.")

    return _act(request, pk, perform, anchor="#agenda")


@require(staff)
@require_POST
def remove_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: None) -> str:
        services.remove_agenda_item(_item(meeting, item_pk), actor=user)
        return _("The item was removed from the agenda.")

    return _act(request, pk, perform, anchor="#agenda")


@require(staff)
@require_POST
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: MinutesForm) -> str:
        services.save_minutes(meeting, actor=user, minutes=form.cleaned_data["minutes"])
        return _("The minutes were saved.")

    return _act(request, pk, perform, form=("minutes", _form(MinutesForm)), anchor="#minutes")


@require(staff)
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: AttendanceForm) -> str:
        present, absent = form.marks()
        others = form.cleaned_data["others"]
        services.save_attendance(meeting, actor=user, present=present, absent=absent, others=others)
        return _("The attendance was saved.")

    return _act(request, pk, perform, form=("attendance", AttendanceForm), anchor="#attendance")


@require(staff)
@require_POST
def add_decision(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: DecisionForm) -> str:
        data = form.cleaned_data
        task = services.record_decision(
            meeting, actor=user, text=data["text"], owner=data["owner"],
            working_days=data["working_days"], deadline=data["deadline"],
        )  # fmt: skip
        return _("Decision %(number)s is a task for %(owner)s, due %(date)s.") % {
            "number": task.number,
            "owner": task.owner,
            "date": task.deadline.isoformat(),
        }

    return _act(request, pk, perform, form=("decision", DecisionForm), anchor="#decisions")


@require(staff)
@require_POST
def mark_held(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(meeting: Meeting, user: Any, form: None) -> str:
        services.mark_held(meeting, actor=user)
        return _("The meeting is marked held.")

    return _act(request, pk, perform)


urlpatterns = [
    path("", meeting_list, name="list"),
    path("new/", plan, name="plan"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/edit/", edit, name="edit"),
    path("<int:pk>/agenda/regenerate/", regenerate_agenda, name="regenerate_agenda"),
    path("<int:pk>/agenda/add/", add_item, name="add_item"),
    path("<int:pk>/agenda/<int:item_pk>/move/", move_item, name="move_item"),
    path("<int:pk>/agenda/<int:item_pk>/remove/", remove_item, name="remove_item"),
    path("<int:pk>/minutes/", minutes, name="minutes"),
    path("<int:pk>/attendance/", attendance, name="attendance"),
    path("<int:pk>/decisions/", add_decision, name="add_decision"),
    path("<int:pk>/held/", mark_held, name="mark_held"),
]
