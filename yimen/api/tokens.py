"""Issuing API tokens and finding the staff account a presented token belongs to."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from yimen.audit.services import record

from .models import ApiToken

PREFIX = "ym_"
# ``last_used_at`` is refreshed at most this often, so reads do not each cost a write.
TOUCH_EVERY = timedelta(minutes=1)


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(user: Any, *, name: str = "", actor: Any = None) -> str:
    """Make a token for ``user`` and return its secret: the only time it can be seen."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], key_hash=hash_key(secret))
    path = user.jurisdiction.path if user.jurisdiction_id else ""
    record(
        "api.token.created",
        token,
        actor=actor,
        changes={"user": user.pk, "name": token.name},
        path=path,
    )
    return secret


def user_for_token(secret: str) -> Any:
    """The active staff account the secret belongs to, or None."""
    if not secret.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__jurisdiction")
        .filter(key_hash=hash_key(secret))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
