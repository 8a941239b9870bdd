"""Notification pages: a user's notifications and e-mail choices; a unit's webhooks (admin)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from yimen.org.permissions import can_manage_org, require, staff
from yimen.org.scoping import get_for_user_or_404

from . import services
from .forms import CHOOSABLE_KINDS, PreferencesForm, WebhookForm
from .models import DEFAULT_EMAIL_KINDS, Notification, NotificationPreference, UnitWebhook
from .services import mark_all_read, unread_count

PAGE_SIZE = 50
# The secret of a new webhook is shown once, on the page the creation redirects to.
ONCE_KEY = "notices.webhook_secret_once"


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


@require(staff)
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    pref = NotificationPreference.objects.filter(user=user).first()
    chosen = pref.email_kinds if pref else sorted(DEFAULT_EMAIL_KINDS)
    choosable = {k for k, _label in CHOOSABLE_KINDS}
    form = PreferencesForm(
        request.POST or None,
        initial={"email": user.email, "email_kinds": [k for k in chosen if k in choosable]},
    )
    if request.method == "POST" and form.is_valid():
        services.set_email_kinds(
            user, form.cleaned_data["email_kinds"], email=form.cleaned_data["email"]
        )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notices:preferences")
    return render(request, "notices/preferences.html", {"form": form})


@require(can_manage_org)
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = WebhookForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        hook = form.save(commit=False)
        services.save_webhook(hook, actor=user)
        request.session[ONCE_KEY] = {"pk": hook.pk, "secret": hook.secret}
        messages.success(request, _("The webhook was created. Copy its secret now."))
        return redirect("notices:webhook", pk=hook.pk)
    hooks = UnitWebhook.objects.for_user(user).select_related("unit", "unit__jurisdiction")
    return render(request, "notices/webhooks.html", {"hooks": hooks, "form": form})


@require(can_manage_org)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    hook = get_for_user_or_404(UnitWebhook, user, pk=pk)
    before = services.webhook_state(hook)
    form = WebhookForm(request.POST or None, instance=hook, user=user)
    if request.method == "POST" and form.is_valid():
        services.save_webhook(form.save(commit=False), actor=user, before=before)
        messages.success(request, _("The webhook was saved."))
        return redirect("notices:webhook", pk=hook.pk)
    once = request.session.pop(ONCE_KEY, None)
    secret = once["secret"] if once and once.get("pk") == hook.pk else None
    deliveries = hook.deliveries.all()
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"hook": hook, "form": form, "secret": secret, "page": page}
    return render(request, "notices/webhook.html", context)


@require_POST
@require(can_manage_org)
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_for_user_or_404(UnitWebhook, request.user, pk=pk)
    services.send_test_event(hook, actor=request.user)
    messages.success(request, _("A test event was queued; its delivery appears below."))
    return redirect("notices:webhook", pk=hook.pk)


@require_POST
@require(can_manage_org)
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_for_user_or_404(UnitWebhook, request.user, pk=pk)
    secret = services.rotate_secret(hook, actor=request.user)
    request.session[ONCE_KEY] = {"pk": hook.pk, "secret": secret}
    messages.success(request, _("A new secret was made; the old one no longer signs anything."))
    return redirect("notices:webhook", pk=hook.pk)


@require_POST
@require(can_manage_org)
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_for_user_or_404(UnitWebhook, request.user, pk=pk)
    services.delete_webhook(hook, actor=request.user)
    messages.success(request, _("The webhook was deleted."))
    return redirect("notices:webhooks")
