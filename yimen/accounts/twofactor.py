"""Two-factor sign-in with a time-based one-time password (TOTP, RFC 6238).

The roles in ``YIMEN_OTP_REQUIRED_ROLES`` (administrator and director by default: they
can see and change the most) must confirm a code from an authenticator app after their
password, every session. django-otp keeps the devices and checks the codes; these
functions say who must, and set a device up.
"""

from typing import Any

import segno
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

ISSUER = "Yimen"


def requires_two_factor(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.role in settings.YIMEN_OTP_REQUIRED_ROLES
    )


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: Any) -> TOTPDevice:
    """The device being set up: made once, kept until a code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def provisioning_qr(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URI as an SVG data URI, for the app's camera."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
