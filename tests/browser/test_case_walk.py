"""Issue 3's acceptance walk: one dispute through every step, on the real pages, in Chinese.

The front desk registers it, the director routes it, the mediation committee accepts it,
records a visit and asks for more time, the supervisor grants it, the committee reports a
result, the director closes it, a dissatisfied follow-up reopens it, and after a second
result and closing a satisfied follow-up ends it. Each persona has its own browser context,
logged in once. Nothing here calls the workflow: only the fixtures do.

The pages are asserted in Chinese, with the labels looked up in the project's own catalog
(``zh``), so a changed translation moves the test with it rather than breaking it.
"""

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from yimen.audit.models import Event
from yimen.cases import workflow
from yimen.cases.models import Category, Channel, Status
from yimen.cases.views.detail import DONE, EVENT_LABELS

pytestmark = pytest.mark.browser

PHONE = "13812345678"


def zh(text: Any) -> str:
    """A message, or a lazy one, as the Chinese pages show it."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def open_as(browser: Any, live_server: Any, login: Callable[..., None]) -> Iterator[Any]:
    """``open_as(username)``: a page in a fresh Chinese browser context, logged in."""
    contexts = []

    def open_page(username: str) -> Any:
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username)
        return page

    yield open_page
    for context in contexts:
        context.close()


# --- the case page -----------------------------------------------------------------------


def status_badge(page: Any) -> Any:
    return page.locator(".case-head .case-badges .badge").first


def deadline(page: Any) -> Any:
    """The ``<time>`` of the deadline among the case's facts."""
    label = zh("deadline")
    return page.locator(
        f'xpath=//dl[contains(@class, "facts")]/dt[normalize-space()="{label}"]'
        "/following-sibling::dd[1]/time"
    )


def action_form(page: Any, name: str) -> Any:
    """The form of one lifecycle action, its box opened when it is folded."""
    form_here = f'form[action$="/do/{name}/"]'
    form = page.locator(f"#actions {form_here}")
    box = page.locator("#actions details.case-action", has=page.locator(form_here))
    if box.count() and box.get_attribute("open") is None:
        box.locator("summary").click()
    expect(form).to_be_visible()
    return form


def submit(page: Any, form: Any, name: str, status: Any) -> None:
    """Send an action's form; the case page comes back saying it is done, in ``status``."""
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages .message.success")).to_have_text(zh(DONE[name]))
    expect(status_badge(page)).to_have_text(zh(status.label))


def open_from_inbox(page: Any, section: str, case_path: str) -> None:
    """Find the case in a section of "my work" and open it."""
    page.goto("/cases/inbox/")
    page.locator(f'#{section} a[href="{case_path}"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "$"))


# --- the walk ----------------------------------------------------------------------------


def test_one_dispute_from_the_front_desk_to_a_satisfied_follow_up(open_as, cases_world):
    w = cases_world

    # 1. The front desk registers the dispute and hands the resident the receipt.
    desk = open_as("desk")
    desk.goto("/cases/new/")
    form = desk.locator("form.intake-form")
    form.locator("select[name=category]").select_option(label="邻里纠纷")
    form.locator("input[name=title]").fill("楼上漏水")
    form.locator("textarea[name=description]").fill("楼上卫生间漏水，浸湿了楼下的天花板。")
    form.locator("select[name=parties-0-role]").select_option("applicant")
    form.locator("input[name=parties-0-name]").fill("王芳")
    form.locator("input[name=parties-0-phone]").fill(PHONE)
    form.locator("select[name=parties-1-role]").select_option("respondent")
    form.locator("input[name=parties-1-name]").fill("李强")
    form.locator(".actions button.primary[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/cases/\d+/receipt/$"))
    codes = desk.locator(".receipt-slip .receipt-code")
    expect(codes.nth(0)).to_have_text(re.compile(r"^YM-\d{4}-\d{6}$"))
    expect(codes.nth(1)).to_have_text(re.compile(r"^[A-HJ-NP-Z2-9]{8}$"))
    case_path = re.search(r"/cases/\d+/", desk.url).group(0)
    desk.locator(f'.receipt-slip a[href="{case_path}"]').click()
    expect(status_badge(desk)).to_have_text(zh(Status.REGISTERED.label))
    expect(desk.locator("#parties")).not_to_contain_text(PHONE)

    # 2. The director routes it to the unit the rules suggest, as a general matter.
    director = open_as("director")
    director.goto("/cases/queue/")
    row = director.locator("table.queue tbody tr", has=director.locator(f'a[href="{case_path}"]'))
    expect(row.locator("td.suggested")).to_have_text(w.committee_a.name)
    row.locator("details.route-form summary").click()
    expect(row.locator("select[name=unit]")).to_have_value(str(w.committee_a.pk))
    row.locator("select[name=complexity]").select_option("general")
    row.locator("button[type=submit]").click()
    expect(director.locator(".messages .message.success")).to_have_text(zh(DONE["route"]))
    expect(director.locator(f'table.queue a[href="{case_path}"]')).to_have_count(0)
    director.goto(case_path)
    expect(status_badge(director)).to_have_text(zh(Status.ROUTED.label))
    expect(deadline(director)).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    slip = director.locator('#slips a[href$=".pdf"]')
    expect(slip).to_have_text(re.compile(r"^JB-\d{4}-\d{6}$"))
    pdf = director.request.get(slip.get_attribute("href"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # 3. The mediation committee accepts it, records a visit and asks for more time.
    mediator = open_as("mediator")
    open_from_inbox(mediator, "to_accept", case_path)
    submit(mediator, action_form(mediator, "accept"), "accept", Status.ACCEPTED)
    form = action_form(mediator, "record_action")
    form.locator("select[name=kind]").select_option("visit")
    form.locator("textarea[name=note]").fill("上门查看了漏水位置。")
    submit(mediator, form, "record_action", Status.IN_PROGRESS)
    first_deadline = date.fromisoformat(deadline(mediator).get_attribute("datetime"))
    requested = first_deadline + timedelta(days=10)
    form = action_form(mediator, "request_extension")
    form.locator("textarea[name=reason]").fill("需要等物业出具检测报告。")
    form.locator("input[name=new_deadline]").fill(requested.isoformat())
    submit(mediator, form, "request_extension", Status.IN_PROGRESS)

    # 4. The supervisor approves the extension: the deadline is the requested date.
    supervisor = open_as("supervisor")
    open_from_inbox(supervisor, "extensions", case_path)
    form = action_form(supervisor, "decide_extension")
    form.locator("input[name=decision][value=approve]").check()
    submit(supervisor, form, "decide_extension", Status.EXTENDED)
    expect(deadline(supervisor)).to_have_attribute("datetime", requested.isoformat())

    # 5. The committee reports the result.
    mediator.goto(case_path)
    form = action_form(mediator, "submit_result")
    form.locator("textarea[name=result]").fill("双方同意由楼上修复防水层。")
    submit(mediator, form, "submit_result", Status.RESOLVED)

    # 6. The director closes the case.
    open_from_inbox(director, "to_close", case_path)
    submit(director, action_form(director, "close"), "close", Status.CLOSED)

    # 7. The resident is not satisfied: the desk's follow-up reopens the case.
    open_from_inbox(desk, "follow_up", case_path)
    form = action_form(desk, "follow_up")
    form.locator("input[name=satisfaction][value=dissatisfied]").check()
    form.locator("textarea[name=comment]").fill("天花板还在渗水。")
    form.locator("input[name=reopen]").check()
    submit(desk, form, "follow_up", Status.REOPENED)

    # 8. A second result, closing again, and this time a satisfied follow-up.
    open_from_inbox(mediator, "handling", case_path)
    form = action_form(mediator, "submit_result")
    form.locator("textarea[name=result]").fill("防水层已重做，经复查不再渗水。")
    submit(mediator, form, "submit_result", Status.RESOLVED)
    open_from_inbox(director, "to_close", case_path)
    submit(director, action_form(director, "close"), "close", Status.CLOSED)
    open_from_inbox(desk, "follow_up", case_path)
    form = action_form(desk, "follow_up")
    form.locator("input[name=satisfaction][value=satisfied]").check()
    submit(desk, form, "follow_up", Status.CLOSED)

    labels = [*(zh(EVENT_LABELS[a]) for a in ("registered", "routed", "accepted")), zh("Visit")]
    labels += [
        zh(EVENT_LABELS[action])
        for action in (
            "extension_requested",
            "extension_approved",
            "resolved",
            "closed",
            "reopened_after_follow_up",
            "resolved",
            "closed",
            "followed_up",
        )
    ]
    expect(desk.locator("#timeline li strong")).to_have_text(labels)
    expect(desk.locator("#follow-ups tbody tr")).to_have_count(2)
    expect(desk.locator("#extensions tbody tr")).to_have_count(1)


# --- personal data -----------------------------------------------------------------------


@pytest.fixture
def case_with_phone(cases_world: Any) -> Any:
    return workflow.register_case(
        actor=cases_world.desk,
        title="楼上漏水",
        description="楼上卫生间漏水。",
        category=Category.objects.get(code="neighbour"),
        channel=Channel.VISIT,
        jurisdiction=cases_world.community_a,
        parties=[workflow.NewParty(name="王芳", role="applicant", phone=PHONE)],
    ).case


def test_the_full_phone_number_is_shown_only_on_request_and_logged(
    open_as, cases_world, case_with_phone
):
    viewed = Event.objects.filter(action="privacy.personal_data.viewed")
    page = open_as("director")
    page.goto(f"/cases/{case_with_phone.pk}/")
    parties = page.locator("#parties")
    expect(parties).to_contain_text("138****5678")
    expect(page.locator("body")).not_to_contain_text(PHONE)
    assert not viewed.exists()

    parties.locator('form[action$="/reveal/"] button[type=submit]').click()
    expect(parties).to_contain_text(PHONE)
    assert viewed.filter(actor=cases_world.director, object_type="cases.party").count() == 1
