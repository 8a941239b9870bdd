"""The notifications page: a user's own notifications, newest first, and 'mark all read'."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from yimen.org.permissions import require, staff

from .models import Notification
from .services import mark_all_read, unread_count

PAGE_SIZE = 50


@require(staff)
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient=request.user).select_related("case")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread": unread_count(request.user)}
    return render(request, "notices/list.html", context)


@require_POST
@require(staff)
def mark_read(request: HttpRequest) -> HttpResponse:
    count = mark_all_read(request.user)
    if count:
        text = ngettext(
            "Marked %(count)d notification as read.",
            "Marked %(count)d notifications as read.",
            count,
        )
        messages.success(request, text % {"count": count})
    return redirect("notices:list")
