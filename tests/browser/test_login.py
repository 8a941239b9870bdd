"""Logging in through a real browser, in Chinese by default and in English on request."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_desk_logs_in_and_sees_the_chinese_home_page(page, live_server, world):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("#id_username").fill("desk")
    page.locator("#id_password").fill("pw-for-tests-123")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".whoami")).to_contain_text("桂花社区")
    expect(page.locator(".mainnav a[aria-current=page]")).to_have_attribute("href", "/")


def test_a_wrong_password_shows_an_error_and_keeps_the_username(page, live_server, world):
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("desk")
    page.locator("#id_password").fill("not-the-password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".errors[role=alert]")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.locator("#id_username")).to_have_value("desk")
    expect(page.locator("#id_password")).to_have_value("")


def test_the_language_switch_turns_the_page_english(page, live_server, world, login):
    login(page, live_server, "desk")
    # The button's name is itself translated ("英语"), so it is found by its value.
    page.locator("button[name=language][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
