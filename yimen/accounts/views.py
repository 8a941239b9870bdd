"""The second factor (set up, then confirm each session) and the user's own sign-ins."""

from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login

from yimen.audit.services import record

from . import twofactor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()})
    return target if allowed else "/"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Confirm the code; a first time, set the app up from the QR code or the key."""
    user = request.user
    device = twofactor.confirmed_device(user)
    setting_up = device is None
    if setting_up:
        device = twofactor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record("accounts.two_factor.set_up", user, actor=user)
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("code", _("This code is not right, or it has expired. Try the next one."))
        record("accounts.two_factor.failed", user, actor=user)
    context: dict[str, Any] = {"form": form, "setting_up": setting_up, "next": _next(request)}
    if setting_up:
        context["qr"] = twofactor.provisioning_qr(device)
        context["secret"] = twofactor.secret_text(device)
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)


@login_required
def logins(request: HttpRequest) -> HttpResponse:
    """The user's own recent sign-ins and failed attempts under their username."""
    username = request.user.get_username()
    context = {
        "successes": AccessLog.objects.filter(username=username).order_by("-attempt_time")[:30],
        "failures": AccessFailureLog.objects.filter(username=username).order_by("-attempt_time")[
            :30
        ],
    }
    return render(request, "accounts/logins.html", context)


app_name = "accounts"
urlpatterns = [
    path("2fa/", two_factor, name="two_factor"),
    path("logins/", logins, name="logins"),
]


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> Any:
    """What a locked-out sign-in sees (``AXES_LOCKOUT_CALLABLE``): when to try again."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked.html", {"cooloff_minutes": minutes}, status=429)
