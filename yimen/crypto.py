"""Residents' phone and ID numbers encrypted at rest, still findable by an exact match.

Values are sealed with AES-SIV (RFC 5297), a deterministic authenticated cipher: the same
number always gives the same ciphertext under the same key, so ``filter(phone=…)`` — an
exact match, the only search Yimen makes on these numbers — works on the stored column,
while a copy of the database without the key shows no number. A field's name is bound in
as associated data, so a phone's ciphertext cannot be moved into an ID-number column.

The key (64 bytes, base64) comes from ``YIMEN_DATA_KEY`` in the environment; without it a
key is generated once per install into ``var/data_key`` (mode 600), like the secret key.
Values written before encryption (or by bulk SQL in the benchmarks) have no ``enc1:``
prefix and are read as they are; migration ``cases.0006`` seals the rows already there.
"""

import base64
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings
from django.db import models

PREFIX = "enc1:"


@cache
def _cipher(key: str) -> AESSIV:
    return AESSIV(base64.b64decode(key))


def seal(value: str, purpose: str) -> str:
    if not value or value.startswith(PREFIX):
        return value
    sealed = _cipher(settings.YIMEN_DATA_KEY).encrypt(value.encode(), [purpose.encode()])
    return PREFIX + base64.urlsafe_b64encode(sealed).decode()


def unseal(value: str, purpose: str) -> str:
    if not value or not value.startswith(PREFIX):
        return value
    sealed = base64.urlsafe_b64decode(value[len(PREFIX) :])
    return _cipher(settings.YIMEN_DATA_KEY).decrypt(sealed, [purpose.encode()]).decode()


class EncryptedCharField(models.CharField):
    """A CharField stored sealed; reads, writes and exact lookups see the plain value.

    Only exact matches (``=``, ``in``) can find a sealed value: ``contains`` and the like
    would compare against ciphertext and find nothing, which is the point.
    """

    def __init__(self, *args: Any, purpose: str = "", **kwargs: Any) -> None:
        self.purpose = purpose
        kwargs.setdefault("max_length", 160)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def _purpose(self) -> str:
        return self.purpose or f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return unseal(value, self._purpose()) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return seal(value, self._purpose()) if isinstance(value, str) else value
