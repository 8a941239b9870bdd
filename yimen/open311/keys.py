"""Issuing Open311 api_keys and finding the client a presented key belongs to."""

import hashlib
import secrets

from django.db import transaction

from yimen.audit.services import record

from .models import Open311Client

PREFIX = "o311_"


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_key(name: str, *, actor=None) -> str:
    """A new key for the client ``name`` (made if new, made active); the old key stops working.

    Only the hash is kept, so a lost key cannot be shown again: issuing is also how it is
    replaced.
    """
    secret = PREFIX + secrets.token_urlsafe(32)
    client, created = Open311Client.objects.select_for_update().get_or_create(
        name=name, defaults={"key_hash": hash_key(secret)}
    )
    if not created:
        client.key_hash = hash_key(secret)
        client.is_active = True
        client.save(update_fields=["key_hash", "is_active"])
    record(
        "open311.client.key_issued",
        client,
        actor=actor,
        changes={"name": client.name, "new_client": created},
    )
    return secret


@transaction.atomic
def revoke(name: str, *, actor=None) -> bool:
    """Stop a client's key from working; False when there is no such active client."""
    client = Open311Client.objects.filter(name=name, is_active=True).first()
    if client is None:
        return False
    Open311Client.objects.filter(pk=client.pk).update(is_active=False)
    record("open311.client.revoked", client, actor=actor, changes={"name": client.name})
    return True


def client_for_key(secret: str) -> Open311Client | None:
    """The active client the key belongs to, or None."""
    if not secret.startswith(PREFIX):
        return None
    return Open311Client.objects.filter(key_hash=hash_key(secret), is_active=True).first()
