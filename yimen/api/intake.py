"""Registering a case through the API, at most once per ``Idempotency-Key``.

A client that lost the answer to a create sends it again with the same key and gets the
case made the first time. Two copies racing each other both register, but the key's
unique constraint lets only one commit; the other rolls back (its case, receipt number and
audit events with it) and answers with the winner's case.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from yimen.cases import workflow as wf
from yimen.cases.filters import visible_units
from yimen.cases.models import Case, Category
from yimen.cases.routing import ancestor_ids
from yimen.org.models import Jurisdiction, User

from .models import IdempotencyKey
from .schemas import CaseIn

KEY_MAX_LENGTH = 255


class KeyReused(wf.WorkflowError):
    status = 409
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Created:
    case: Case
    tracking_code: str | None  # None when replayed: only its hash was kept
    replayed: bool = False


def body_hash(payload: CaseIn) -> str:
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _staff_member(user: Any, pk: int) -> User | None:
    """A staff account in the caller's subtree or placed above it (a complaint may name one)."""
    path = user.visible_path or ""
    return (
        User.objects.filter(pk=pk)
        .filter(Q(jurisdiction__path__startswith=path) | Q(jurisdiction_id__in=ancestor_ids(path)))
        .first()
        if path
        else None
    )


def _register(user: Any, payload: CaseIn) -> wf.Registered:
    # The workflow checks the role too; checking it first means a role that may not
    # register hears that, rather than about a field it got wrong.
    if user.role not in wf.REGISTRAR_ROLES:
        raise wf.NotAllowed(_("Your role may not register matters."))
    fields: dict[str, str] = {}
    category = Category.objects.filter(code=payload.category).first()
    if category is None:
        fields["category"] = _("No category with this code.")
    jurisdiction = Jurisdiction.objects.for_user(user).filter(code=payload.jurisdiction).first()
    if jurisdiction is None:
        fields["jurisdiction"] = _("No place with this code in your jurisdiction.")
    about_unit = about_staff = None
    if payload.about_unit is not None:
        about_unit = visible_units(user).filter(pk=payload.about_unit).first()
        if about_unit is None:
            fields["about_unit"] = _("No unit with this id.")
    if payload.about_staff is not None:
        about_staff = _staff_member(user, payload.about_staff)
        if about_staff is None:
            fields["about_staff"] = _("No staff member with this id.")
    if fields:
        raise wf.Invalid(next(iter(fields.values())), fields=fields)
    return wf.register_case(
        actor=user,
        title=payload.title,
        description=payload.description,
        category=category,
        channel=payload.channel,
        jurisdiction=jurisdiction,
        parties=[wf.NewParty(p.name, p.role, p.phone, p.id_number) for p in payload.parties],
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        is_urgent=payload.is_urgent,
        about_staff=about_staff,
        about_unit=about_unit,
        settle_on_the_spot=payload.settle_on_the_spot,
        result=payload.result,
    )


def _existing(user: Any, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user=user, key=key).first()


def _replay(user: Any, record: IdempotencyKey, digest: str) -> Created:
    if record.body_hash != digest:
        raise KeyReused(
            _("This Idempotency-Key was already used for a different request."),
            fields={"Idempotency-Key": _("Use a new key for a new case.")},
        )
    case = Case.objects.for_user(user).filter(pk=record.case_id).first()
    if case is None:
        raise KeyReused(_("This Idempotency-Key belongs to a case you can no longer see."))
    return Created(case, None, replayed=True)


def create_case(user: Any, payload: CaseIn, key: str | None) -> Created:
    """Register the case, or give back the one this key already made."""
    if key is None:
        registered = _register(user, payload)
        return Created(registered.case, registered.tracking_code)
    key = key.strip()
    if not key or len(key) > KEY_MAX_LENGTH or "\x00" in key:
        message = _("An Idempotency-Key has 1 to %(max)d characters.") % {"max": KEY_MAX_LENGTH}
        raise wf.Invalid(message, fields={"Idempotency-Key": message})
    digest = body_hash(payload)
    existing = _existing(user, key)
    if existing is not None:
        return _replay(user, existing, digest)
    try:
        with transaction.atomic():
            registered = _register(user, payload)
            IdempotencyKey.objects.create(
                user=user, key=key, body_hash=digest, case=registered.case
            )
    except IntegrityError:
        existing = _existing(user, key)
        if existing is None:
            raise
        return _replay(user, existing, digest)
    return Created(registered.case, registered.tracking_code)
