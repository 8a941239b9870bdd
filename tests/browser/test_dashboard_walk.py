"""The director's dashboard in a real browser: the charts draw, a click on a bar opens the
list of exactly the cases it counted, and the ledgers print and export from the page."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from yimen.cases import workflow as wf
from yimen.cases.models import Category

pytestmark = pytest.mark.browser


def zh(text: Any) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def intake(cases_world: Any) -> Any:
    """Three neighbour disputes and one hazard received today in community A."""
    w = cases_world
    for title, code in (
        ("楼上漏水", "neighbour"),
        ("噪音扰民", "neighbour"),
        ("占道堆物", "neighbour"),
        ("燃气管道老化", "hazard"),
    ):
        wf.register_case(
            actor=w.desk, title=title, description=title,
            category=Category.objects.get(code=code), channel="visit",
            jurisdiction=w.grid_a1, parties=[wf.NewParty("王芳", "applicant", "13812345678")],
        )  # fmt: skip
    return w


def test_a_bar_opens_the_cases_it_counts(page: Any, live_server: Any, login: Callable, intake):
    login(page, live_server, "director")
    page.goto(f"{live_server.url}/dashboard/")
    received = page.locator("#tile-received strong")
    expect(received).to_have_text("4")
    chart = page.locator('[data-chart="by_category"]')
    # ECharts draws into an SVG; the tallest bar (neighbour disputes) comes first.
    expect(chart.locator("svg")).to_be_visible()
    bars = chart.locator("svg path[fill='#1f5fa8']")
    expect(bars.first).to_be_visible()
    bars.first.click()
    page.wait_for_url(re.compile(r"/dashboard/cases/\?figure=received.*category=neighbour"))
    expect(page.locator("#case-count")).to_contain_text("3")
    expect(page.locator("table.case-list tbody tr")).to_have_count(3)


def test_a_ledger_prints_and_exports(page: Any, live_server: Any, login: Callable, intake):
    login(page, live_server, "director")
    page.goto(f"{live_server.url}/ledgers/")
    title = zh("Dispute register (纠纷登记簿)")
    page.get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".ledger-count")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=zh("Export to Excel")).click()
    assert download.value.suggested_filename.startswith("disputes-")
    page.get_by_role("link", name=zh("Print")).click()
    expect(page.locator("h1.sheet-title")).to_have_text(title)
