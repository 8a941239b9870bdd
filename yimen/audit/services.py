"""Writing and verifying the audit chain.

``record`` is the only way events are written. It locks the chain head row, so appends
are serialised on PostgreSQL as on SQLite, and it must run inside the caller's
transaction: the event commits or rolls back with the change it describes.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .models import ChainHead, Event

GENESIS = "0" * 64


def _normalise(value: Any) -> Any:
    """What the JSON column will give back, so the hash is taken over what is stored."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def event_digest(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical JSON form, the same on any database."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _content(event: Event) -> dict[str, Any]:
    occurred: datetime = event.occurred_at
    return {
        "occurred_at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "path": event.path,
    }


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of an object as JSON values (foreign keys by id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, field.attname)
    return _normalise(values)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose values differ (missing is None)."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    actor: Any = None,
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    path: str | None = None,
) -> Event:
    """Append one event to the chain: ``action`` is a dotted code like ``org.unit.updated``.

    ``path`` scopes the event to a jurisdiction; by default it is the object's own.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    if path is None:
        path = _path_of(obj)
    if actor is not None and not actor.is_authenticated:
        actor = None
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        event = Event(
            occurred_at=timezone.now(),
            actor=actor,
            actor_name=actor.get_username() if actor else "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            changes=_normalise(changes or {}),
            path=path,
            prev_hash=head.last_hash,
        )
        event.hash = event_digest(event.prev_hash, _content(event))
        event.save()
        ChainHead.objects.filter(pk=1).update(last_hash=event.hash)
    return event


def _path_of(obj: models.Model | None) -> str:
    """The jurisdiction path an object lies in, through its ``scope_path`` lookup."""
    lookup = getattr(obj, "scope_path", None)
    if obj is None or not isinstance(lookup, str):
        return ""
    value: Any = obj
    for part in lookup.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return value


def log_personal_data_view(actor: Any, obj: models.Model, fields: Iterable[str]) -> Event:
    """Record that ``actor`` was shown the full (unmasked) personal data of ``obj``.

    Parties' privacy is a resident's right (DESIGN.md §1): every full view leaves a trace.
    """
    return record(
        "privacy.personal_data.viewed", obj, actor=actor, changes={"fields": list(fields)}
    )


@dataclass(frozen=True)
class Break:
    """Where the chain first fails: an event's number, or None when events are missing at
    its end (then ``reason`` names the last event still there)."""

    event_id: int | None
    reason: str


def hash_matches(event: Event) -> bool:
    """Whether one event's content still gives its stored hash (its link is checked by
    ``verify_chain``, which sees the events before it)."""
    return event_digest(event.prev_hash, _content(event)) == event.hash


def verify_chain(batch_size: int = 2000) -> Break | None:
    """Walk the chain in order; return the first event whose link or hash is wrong.

    The head is read before the walk: events appended while it runs extend the chain past
    the head and are checked too, instead of passing for a truncation.
    """
    head_hash = ChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    reached_head = head_hash in (None, GENESIS)
    prev, last_id = GENESIS, None
    for event in _iter_events(batch_size):
        if event.prev_hash != prev:
            return Break(event.pk, "previous hash does not match the event before it")
        if not hash_matches(event):
            return Break(event.pk, "content does not match its hash")
        prev, last_id = event.hash, event.pk
        reached_head = reached_head or event.hash == head_hash
    if not reached_head:
        last = f"event #{last_id}" if last_id else "the start"
        return Break(None, f"events after {last} were removed (the recorded head is missing)")
    if last_id is not None and not ChainHead.objects.filter(pk=1).exists():
        return Break(None, "the chain head row was removed")
    return None


def _iter_events(batch_size: int) -> Iterator[Event]:
    last_id = 0
    while True:
        batch = list(Event.objects.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].pk


def save_with_audit(obj: models.Model, fields: list[str], *, actor: Any) -> models.Model:
    """Save ``obj`` and record ``<app>.<model>.created|updated`` with the changed fields."""
    with transaction.atomic():
        model = type(obj)
        old = model._base_manager.select_for_update().filter(pk=obj.pk).first() if obj.pk else None
        before = snapshot(old, fields) if old else {}
        obj.save()
        verb = "updated" if old else "created"
        record(
            f"{obj._meta.label_lower}.{verb}",
            obj,
            actor=actor,
            changes=diff(before, snapshot(obj, fields)),
        )
    return obj
