"""A grid worker's patrol on a phone: logged with a photo and a map point, its finding made a
case, which then shows on the field map and in the director's routing queue; and a patrol
saved with no network is kept on the phone and sent exactly once when it returns."""

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from yimen.cases.models import Case, Channel, Status
from yimen.fieldwork.models import Finding, Patrol

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
GRID_A1 = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.05, 30.0], [120.05, 30.05],
                                               [120.0, 30.05], [120.0, 30.0]]]}  # fmt: skip


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


def png() -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, "PNG")
    return {"name": "stairwell.png", "mimeType": "image/png", "buffer": out.getvalue()}


@pytest.fixture
def field(cases_world: Any, media: Any) -> Any:
    cases_world.grid_a1.polygon = GRID_A1
    cases_world.grid_a1.save()
    return cases_world


@pytest.fixture
def phone(browser: Any, live_server: Any, login: Callable, field: Any) -> Any:
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True,
        has_touch=True, base_url=live_server.url,
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, live_server, "grid1")
    yield page
    context.close()


def fill_patrol(page: Any, found: str) -> None:
    page.goto("/field/patrols/new/")
    page.get_by_label(zh("What was checked")).fill("5号楼楼道、消防通道")
    page.get_by_label(zh("What was found")).fill(found)
    page.locator('input[name="findings-0-photos"]').set_input_files(png())


def test_a_patrol_on_a_phone_becomes_a_case_on_the_map_and_in_the_queue(
    phone: Any, browser: Any, live_server: Any, login: Callable, field: Any
):
    page = phone
    fill_patrol(page, "5号楼楼道堆放纸箱，堵塞消防通道")
    page.locator("[data-finding-point] summary").click()
    map_box = page.locator("[data-point-map]")
    expect(map_box).to_be_visible()
    map_box.click()  # the middle of the map: the middle of the grid
    expect(page.locator('[data-map-input="lat"]')).not_to_have_value("")
    expect(page.locator("[data-point-outside]")).to_be_hidden()
    page.get_by_role("button", name=zh("Save the patrol")).click()
    page.wait_for_url(re.compile(r"/field/patrols/\d+/$"))
    finding = Finding.objects.get()
    assert finding.photos.count() == 1 and finding.latitude is not None
    expect(page.locator(".field-photos img")).to_have_count(1)

    page.get_by_label(zh("Category")).select_option(label="邻里纠纷")
    page.get_by_role("button", name=zh("Register as a case")).click()
    page.wait_for_url(re.compile(r"/field/patrols/\d+/$"))
    case = Case.objects.get()
    assert case.channel == Channel.GRID and case.status == Status.REGISTERED
    assert case.attachments.count() == 1 and case.latitude == finding.latitude
    expect(page.locator(f"#finding-{finding.pk}")).to_contain_text(case.receipt_number)

    layer = page.request.get("/field/map/cases.geojson").json()
    assert [f["properties"]["number"] for f in layer["features"]] == [case.receipt_number]
    page.goto("/field/map/")
    expect(page.locator("[data-field-map]")).to_have_attribute("data-ready", "1")
    expect(page.locator("[data-field-map]")).to_have_attribute("data-cases", "1")
    expect(page.locator("[data-field-map] path.leaflet-interactive")).to_have_count(2)

    director = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                   base_url=live_server.url)  # fmt: skip
    director.set_default_timeout(10_000)
    queue = director.new_page()
    login(queue, live_server, "director")
    queue.goto("/cases/queue/")
    expect(queue.locator("main")).to_contain_text(case.receipt_number)
    director.close()


def test_a_patrol_saved_offline_is_kept_and_sent_once(phone: Any, field: Any):
    page = phone
    fill_patrol(page, "井盖缺失")
    page.context.set_offline(True)
    page.get_by_role("button", name=zh("Save the patrol")).click()
    expect(page.locator("[data-offline-saved]")).to_be_visible()
    expect(page.get_by_label(zh("What was found"))).to_have_value("井盖缺失")
    assert Patrol.objects.count() == 0
    page.context.set_offline(False)
    page.wait_for_function("() => window.localStorage.getItem('yimen-offline-forms') === '[]'")
    patrol = Patrol.objects.get()
    assert patrol.findings.get().text == "井盖缺失"
    assert patrol.findings.get().photos.count() == 1
    # The same form sent again (the key it carries) gives the patrol already made.
    page.get_by_role("button", name=zh("Save the patrol")).click()
    page.wait_for_url(re.compile(rf"/field/patrols/{patrol.pk}/$"))
    assert Patrol.objects.count() == 1
