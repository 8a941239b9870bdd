"""Signing in: the lockout after repeated failures, the second factor for the roles that
need it, the user's own sign-ins, and the security headers every page carries."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yimen.accounts.twofactor import requires_two_factor

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_five_failures_lock_the_username_from_that_address(world):
    client = Client()
    for _ in range(4):
        assert sign_in(client, "desk", "wrong-password").status_code == 200
    assert sign_in(client, "desk", "wrong-password").status_code == 429  # the fifth locks
    locked = sign_in(client, "desk", PASSWORD)  # even the right password, for a while
    assert locked.status_code == 429
    assert "Try again in 15 minutes" in locked.content.decode()
    # Another address is not locked out of the same account.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert sign_in(other, "desk", PASSWORD).status_code == 302


def test_the_director_confirms_a_code_after_the_password(world):
    director = world.director
    assert requires_two_factor(director) and not requires_two_factor(world.desk)
    client = Client()
    assert sign_in(client, "director", PASSWORD).status_code == 302
    page = client.get("/dashboard/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/2fa/")
    setup = client.get("/accounts/2fa/?next=/dashboard/")
    assert "data:image/svg+xml" in setup.content.decode()  # the QR code to scan
    device = TOTPDevice.objects.get(user=director, confirmed=False)
    wrong = client.post("/accounts/2fa/", {"code": "000000", "next": "/dashboard/"})
    assert wrong.status_code == 400 and "This code is not right" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # a failure makes the next try wait a second; the test does not
    right = client.post("/accounts/2fa/", {"code": code_for(device), "next": "/dashboard/"})
    assert right.status_code == 302 and right["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_the_second_factor_is_asked_every_session(world):
    device = TOTPDevice.objects.create(user=world.admin, confirmed=True)
    client = Client()
    sign_in(client, "admin", PASSWORD)
    page = client.get("/accounts/2fa/")
    assert "data:image/svg+xml" not in page.content.decode()  # no new set-up, just the code
    client.post("/accounts/2fa/", {"code": code_for(device)})
    assert client.get("/org/").status_code == 200


def test_the_required_roles_are_configurable(world, settings):
    settings.YIMEN_OTP_REQUIRED_ROLES = ("admin",)
    client = Client()
    sign_in(client, "director", PASSWORD)
    assert client.get("/dashboard/").status_code == 200


def test_a_user_sees_their_own_sign_ins(world):
    client = Client()
    sign_in(client, "desk", "wrong-password")
    sign_in(client, "desk", PASSWORD)
    page = client.get("/accounts/logins/").content.decode()
    assert 'id="sign-ins"' in page and 'id="failed-sign-ins"' in page


def test_pages_carry_a_strict_script_policy(world, client_for):
    response = client_for(world.desk).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"


def test_a_new_staff_account_needs_a_strong_password(world):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = UserFactory.build(username="wangfang")
    for weak in ("12345678", "password", "wangfang1", "short1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)


def test_the_production_settings_pass_the_deployment_check(tmp_path):
    """``manage.py check --deploy`` is clean with HTTPS on and the secrets given."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "YIMEN_HTTPS": "1", "ALLOWED_HOSTS": "yimen.example.org",
           "SECRET_KEY": "k" * 20 + "-production-secret-key-for-the-check-0123456789",
           "YIMEN_VAR_DIR": str(tmp_path)}  # fmt: skip
    env.pop("YIMEN_DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests, never in production
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
