"""Fixed-window rate limits for the public pages: no login, no CAPTCHA, just counters.

One counter per (limit, who, window) in Django's cache: ``cache.add`` creates it at zero for
the window's length and ``cache.incr`` counts atomically (Redis INCR; LocMemCache under its
lock), so requests arriving together are all counted. Web processes share the counts once
``REDIS_URL`` points the cache at Redis; with the default in-process cache each process
counts on its own. Who is hashed with the site's key: no IP address or phone number is
written to the cache.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # uses allowed per window; 0 switches the limit off
    seconds: int


def submissions_per_ip() -> Limit:
    return Limit("submit-ip", settings.YIMEN_PORTAL_SUBMISSIONS_PER_IP_HOUR, HOUR)


def submissions_per_phone() -> Limit:
    return Limit("submit-phone", settings.YIMEN_PORTAL_SUBMISSIONS_PER_PHONE_DAY, DAY)


def lookups_per_ip() -> Limit:
    return Limit("track-ip", settings.YIMEN_PORTAL_LOOKUPS_PER_IP_HOUR, HOUR)


@dataclass(frozen=True)
class Outcome:
    allowed: bool
    retry_after: int  # seconds until the window ends


def hit(limit: Limit, who: str, now: float | None = None) -> Outcome:
    """Count one use of ``limit`` by ``who``; allowed while the count is within the limit."""
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    retry_after = max(1, int((window + 1) * limit.seconds - now))
    if limit.count <= 0:
        return Outcome(True, 0)
    digest = salted_hmac("yimen.portal.ratelimit", who).hexdigest()[:32]
    key = f"yimen:rl:{limit.name}:{digest}:{window}"
    cache.add(key, 0, timeout=limit.seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: this use starts a new count
        cache.add(key, 1, timeout=limit.seconds + 60)
        count = 1
    return Outcome(count <= limit.count, retry_after)


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or the header a trusted proxy sets.

    Behind a reverse proxy every request comes from the proxy, so the operator names the
    header it writes (``YIMEN_CLIENT_IP_HEADER``, e.g. ``X-Real-IP``). For a list such as
    ``X-Forwarded-For`` the last entry counts: the one the trusted proxy added itself.
    """
    header = settings.YIMEN_CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_key, "")
        if value:
            return value.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def phone_key(phone: str) -> str:
    """A phone number as counted: its digits only, so spacing and dashes do not evade it."""
    return "".join(ch for ch in phone if ch.isdigit())
