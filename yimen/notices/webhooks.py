"""Outgoing webhooks: the signed JSON body and one HTTP POST, with the standard library.

A receiver checks ``X-Yimen-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw request
body with the webhook's secret (see README, "Webhooks"). Redirects are not followed: a
webhook address that answers 3xx is a failed delivery, never a trip to another scheme.
"""

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from .models import validate_webhook_url

SIGNATURE_HEADER = "X-Yimen-Signature"
EVENT_HEADER = "X-Yimen-Event"
DELIVERY_HEADER = "X-Yimen-Delivery"
USER_AGENT = "Yimen-Webhook/1"


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode()


def signature(secret: str, body: bytes) -> str:
    """The ``X-Yimen-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header or "")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _snippet(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(300).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return ""


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST ``body`` to ``url``; any 2xx answer is a delivery, anything else says why not."""
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        return Outcome(False, error=" ".join(exc.messages))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            **headers,
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        detail = _snippet(exc)
        return Outcome(
            False,
            exc.code,
            _("The endpoint answered %(code)s.") % {"code": exc.code}
            + (f" {detail}" if detail else ""),
        )
    except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return Outcome(
                False, error=_("No answer within %(seconds)s seconds.") % {"seconds": timeout}
            )
        return Outcome(
            False, error=_("Could not reach the endpoint: %(reason)s") % {"reason": reason}
        )
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, _("The endpoint answered %(code)s.") % {"code": status})
