"""Who is calling (a Bearer token) and how often they may (a rate per staff account)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from .tokens import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class PerAccountRate(SimpleRateThrottle):
    """``settings.YIMEN_API_RATE`` requests per account (e.g. ``600/min``); empty: no limit.

    Counted in Django's cache: per process with the default local-memory cache, shared by all
    web processes with ``REDIS_URL``.
    """

    scope = "yimen_api"

    def __init__(self) -> None:  # the rate is read per request, so settings may change
        self.rate = None

    def allow_request(self, request: HttpRequest) -> bool:
        rate = settings.YIMEN_API_RATE
        if not rate:
            return True
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "auth", None)
        if user is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}
