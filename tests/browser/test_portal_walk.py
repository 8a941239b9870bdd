"""Issue 5's acceptance walk, on a phone: a resident reports a matter with a photo by tapping
the map, keeps the receipt number and tracking code, follows the matter, and rates the
result once the center has resolved it. The staff side is played by the workflow here; the
resident's side only through the pages, in Chinese (labels looked up in the catalogue)."""

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from yimen.cases import workflow
from yimen.cases.models import Case, FollowUp, Status
from yimen.portal.tracking import PLAIN_STATUS

pytestmark = pytest.mark.browser

PHONE_SIZE = {"width": 390, "height": 844}


def zh(text: Any) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def phone(browser: Any, live_server: Any, settings: Any, tmp_path: Any) -> Iterator[Any]:
    """A phone-sized touch browser in Chinese, with no cookies."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=live_server.url,
        viewport=PHONE_SIZE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
    cache.clear()


def fits_the_screen(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]


def test_a_resident_reports_tracks_and_rates_on_a_phone(phone, cases_world, tmp_path):
    w = cases_world
    picture = tmp_path / "楼道.jpg"
    Image.new("RGB", (2400, 1800), (90, 120, 160)).save(picture, "JPEG")

    # 1. The report form, on the phone: the map appears with the center's areas.
    phone.goto("/report/")
    assert fits_the_screen(phone)
    form = phone.locator("form.portal-form")
    map_block = phone.locator("[data-portal-map]")
    expect(map_block).to_be_visible()
    expect(map_block).to_have_attribute("data-ready", "1")
    expect(
        phone.locator(".portal-map path.leaflet-interactive, .portal-map path")
    ).not_to_have_count(0)

    form.locator(".portal-choice", has_text="邻里纠纷").tap()
    expect(form.locator(".portal-choice", has_text="邻里纠纷").locator("input")).to_be_checked()
    form.locator("textarea[name=description]").fill("楼道里堆满了杂物，老人出入不便。")
    form.locator("input[name=address]").fill("桂花小区5幢2单元")
    phone.locator(".portal-map").tap()  # the middle of community A's square
    expect(phone.locator("[data-map-status]")).to_contain_text(w.community_a.name)
    expect(form.locator("input[name=latitude]")).to_have_value(re.compile(r"^30\.\d{6}$"))
    expect(form.locator("select[name=community]")).to_have_value(str(w.community_a.pk))
    form.locator("input[name=photos]").set_input_files(str(picture))
    form.locator("input[name=phone]").fill("13812345678")
    form.locator("input[name=consent]").tap()
    form.locator("button.portal-submit").tap()

    # 2. The receipt: number and code, once.
    expect(phone).to_have_url(re.compile(r"/report/done/$"))
    number = phone.locator("[data-receipt-number]").inner_text().strip()
    code = phone.locator("[data-tracking-code]").inner_text().strip()
    assert re.fullmatch(r"YM-\d{4}-\d{6}", number)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code)
    expect(phone.locator("button.print")).to_be_visible()
    assert fits_the_screen(phone)

    case = Case.objects.get(receipt_number=number)
    assert case.jurisdiction == w.community_a and case.latitude is not None
    photo = case.attachments.get()
    assert photo.content_type == "image/jpeg"
    with photo.file.open("rb") as handle:
        assert max(Image.open(io.BytesIO(handle.read())).size) == 1600

    # 3. Tracking by receipt number and code.
    phone.goto("/track/")
    phone.locator("input[name=number]").fill(number)
    phone.locator("input[name=code]").fill(code)
    phone.locator("form.portal-track-form button[type=submit]").tap()
    expect(phone).to_have_url(re.compile(r"/track/$"))
    expect(phone.locator("[data-status]")).to_have_text(zh(PLAIN_STATUS[Status.REGISTERED]))
    assert fits_the_screen(phone)

    # 4. The center handles it (staff side, through the workflow).
    workflow.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    workflow.accept_case(case, actor=w.mediator)
    workflow.submit_result(case, actor=w.mediator, result="物业已清理楼道杂物。")

    # 5. The resident sees the result and rates it.
    phone.reload()
    expect(phone.locator("[data-status]")).to_have_text(zh(PLAIN_STATUS[Status.RESOLVED]))
    expect(phone.locator("[data-unit]")).to_have_text(w.committee_a.name)
    expect(phone.locator("[data-result]")).to_have_text("物业已清理楼道杂物。")
    rating = phone.locator("form.portal-rate-form")
    rating.locator(".portal-choice", has=phone.locator("input[value=satisfied]")).tap()
    rating.locator("textarea[name=comment]").fill("处理得很快，谢谢。")
    rating.locator("button[type=submit]").tap()
    expect(phone.locator(".messages .message.success")).to_have_text(
        zh("Thank you: your rating was recorded.")
    )
    expect(phone.locator("[data-rating]")).to_have_text(zh("Satisfied"))
    expect(phone.locator("form.portal-rate-form")).to_have_count(0)

    rated = FollowUp.objects.get(case=case)
    assert (rated.by, rated.by_resident, rated.satisfaction) == (None, True, "satisfied")
    assert rated.comment == "处理得很快，谢谢。"
