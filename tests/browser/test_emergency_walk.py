"""A first incident report from a phone: one screen, sent in one tap, and kept when the
network is gone until it returns — then sent exactly once."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from yimen.emergency.models import Incident

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


@pytest.fixture
def phone(browser: Any, live_server: Any, login: Callable, cases_world: Any) -> Any:
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, live_server, "grid1")
    yield page
    context.close()


def test_a_first_report_on_one_phone_screen(phone: Any, live_server: Any, cases_world: Any):
    page = phone
    page.goto(f"{live_server.url}/emergency/report/")
    send = page.get_by_role("button", name=zh("Send the report"))
    box = send.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] * 1.6
    page.get_by_label(zh("What is happening")).fill("桂花小区3号楼燃气泄漏，有刺鼻气味")
    page.get_by_label(zh("Type of incident")).select_option("gas")
    send.click()
    page.wait_for_url(re.compile(r"/emergency/\d+/$"))
    incident = Incident.objects.get()
    expect(page.locator("h1")).to_contain_text(incident.number)
    assert incident.jurisdiction == cases_world.grid_a1 and incident.incident_type == "gas"


def test_a_report_made_offline_is_sent_once_when_the_network_returns(
    phone: Any, live_server: Any, cases_world: Any
):
    page = phone
    page.goto(f"{live_server.url}/emergency/report/")
    page.get_by_label(zh("What is happening")).fill("仓库冒烟")
    page.context.set_offline(True)
    page.get_by_role("button", name=zh("Send the report")).click()
    expect(page.locator("[data-offline-saved]")).to_be_visible()
    assert Incident.objects.count() == 0
    page.context.set_offline(False)
    page.wait_for_function("() => window.localStorage.getItem('yimen-offline-forms') === '[]'")
    assert Incident.objects.filter(situation="仓库冒烟").count() == 1
    # Sending the same form again (the key it carries) makes no second incident.
    page.get_by_role("button", name=zh("Send the report")).click()
    page.wait_for_url(re.compile(r"/emergency/\d+/$"))
    assert Incident.objects.count() == 1
