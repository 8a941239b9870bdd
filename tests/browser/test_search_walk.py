"""Searching the case list in a real browser: a word inside a longer phrase, marked in place.

The front desk of community A types a word that is only part of a title's phrase and finds
the case, the word marked in the title and in the account's passage; the front desk of
community B types the same word and finds nothing.
"""

from typing import Any

import pytest
from playwright.sync_api import expect

from yimen.cases import workflow
from yimen.cases.models import Category

pytestmark = pytest.mark.browser


def search(page: Any, live_server: Any, text: str) -> None:
    page.goto(f"{live_server.url}/cases/")
    page.locator("#id_q").fill(text)
    page.locator("form.case-filters button[type=submit]").click()
    page.wait_for_url(lambda url: "q=" in url)


def test_a_word_inside_a_phrase_is_found_and_marked_only_in_scope(
    page: Any, live_server: Any, cases_world: Any, login: Any
) -> None:
    w = cases_world
    case = workflow.register_case(
        actor=w.desk,
        title="楼道堆放杂物影响通行",
        description="三楼住户长期在楼道堆放杂物，消防通道被占用。",
        category=Category.objects.get(code="neighbour"),
        channel="visit",
        jurisdiction=w.community_a,
        parties=[workflow.NewParty("王芳", "applicant", "13812345678")],
    ).case

    login(page, live_server, "desk")
    search(page, live_server, "杂物")
    row = page.locator("table.case-list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("a").first).to_have_text(case.receipt_number)
    expect(row.locator("mark").first).to_have_text("杂物")
    expect(row.locator(".snippet")).to_contain_text("住户长期在楼道堆放杂物")
    expect(page.locator("#id_q")).to_have_value("杂物")

    page.context.clear_cookies()
    login(page, live_server, "desk_b")
    search(page, live_server, "杂物")
    expect(page.locator("table.case-list")).to_have_count(0)
    expect(page.locator("#case-count")).to_contain_text("0")
