"""Sends a signed-in user whose role needs a second factor to confirm it before anything else."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .twofactor import requires_two_factor

# What a user may reach before the second factor: the factor itself, leaving, the language.
OPEN_PREFIXES = ("/accounts/2fa/", "/logout/", "/i18n/", "/static/")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and requires_two_factor(user)
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
            and not request.path.startswith(("/api/", "/open311/"))
        ):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)
