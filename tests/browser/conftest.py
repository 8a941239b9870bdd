"""The browser-test harness: Playwright driving Debian's chromium against a live server.

Only ``/usr/bin/chromium`` is used, never a browser Playwright downloads: the suite must run
on a network with no internet, from the system's own package. Without it, every browser
test is skipped with a message saying how to get it.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# ORM calls that fixtures make here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "pw-for-tests-123"  # set by tests/factories.py
MISSING = (
    f"browser tests skipped: {CHROMIUM} not installed; "
    "make test installs it with apt-get when run as root"
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() or not shutil.which(str(CHROMIUM)):
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _live_server_data(seeded_transactional_db: None) -> None:
    """Every browser test runs on a live server, with the data migrations' rows in place."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (no cookies), as a Chinese-speaking user's browser sends."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Any, live_server: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form and wait for the page it leads to."""
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    if "/accounts/2fa/" in page.url:
        # The director and the administrator confirm a one-time code: the test reads the
        # code their authenticator app would show from the device the page set up.
        device = TOTPDevice.objects.filter(user__username=username).latest("pk")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        page.locator("#id_code").fill(f"{code:06d}")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/2fa/" not in url)


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, live_server, username)``: the walks' first step."""
    return log_in
