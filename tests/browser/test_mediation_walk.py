"""Issue 6's acceptance walks: a neighbour dispute mediated to a signed agreement and a
follow-up visit, and a refused mediation referred to court — on the real pages, in Chinese.

The front desk registers the dispute and the director routes it; the committee's mediator
opens the mediation from the case page, records both parties' consent and that they were
told of their right to go to court, records one session, schedules and then records a
second, drafts the agreement, has it signed (its PDF names the parties in its text layer)
and records the follow-up visit. In the second walk the applicant refuses mediation and the
case page itself offers the parties' next paths: the court is chosen and the referral note
printed. Only the fixtures call services directly.
"""

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from yimen.cases import workflow
from yimen.cases.models import Case, Category, Channel, Complexity, Status
from yimen.cases.views.detail import EVENT_LABELS
from yimen.mediation.models import CommitteeMember, Mediation, NextPath, Outcome
from yimen.mediation.services import RIGHT_TO_SUE
from yimen.mediation.views.case import DONE

from ..pdf_support import pdf_text

pytestmark = pytest.mark.browser

MINUTE = "%Y-%m-%dT%H:%M"


def zh(text: Any) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def open_as(browser: Any, live_server: Any, login: Callable[..., None]) -> Iterator[Any]:
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


@pytest.fixture
def committee(cases_world: Any, settings: Any, tmp_path: Any) -> Any:
    """Committee A's roster: the demo mediator is its chair."""
    settings.MEDIA_ROOT = tmp_path
    w = cases_world
    people = [
        ("张秀英", "female", "chair", w.mediator),
        ("刘建华", "male", "deputy", None),
        ("赵丽", "female", "member", None),
    ]
    w.members = [
        CommitteeMember.objects.create(
            committee=w.committee_a, name=n, gender=g, role=r, account=a, position=i
        )
        for i, (n, g, r, a) in enumerate(people)
    ]
    return w


def step(page: Any, name: str) -> Any:
    """The form of one mediation step, its box opened."""
    box = page.locator(f"details#step-{name}")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    form = box.locator("form")
    expect(form).to_be_visible()
    return form


def done(page: Any, name: str) -> None:
    expect(page.locator(".messages .message.success")).to_have_text(zh(DONE[name]))


def consent(page: Any, case: Case, party: str, decision: str) -> None:
    form = step(page, "consent")
    form.locator("select[name=party]").select_option(str(case.parties.get(name=party).pk))
    form.locator(f"input[name=decision][value={decision}]").check()
    form.locator("button[type=submit]").click()
    done(page, "consent")


def test_a_neighbour_dispute_from_registration_to_a_follow_up_visit(open_as, committee):
    w = committee
    chair = w.members[0]

    # 1. The front desk registers the dispute.
    desk = open_as("desk")
    desk.goto("/cases/new/")
    form = desk.locator("form.intake-form")
    form.locator("select[name=category]").select_option(label="邻里纠纷")
    form.locator("input[name=title]").fill("楼上漏水")
    form.locator("textarea[name=description]").fill("楼上卫生间漏水，浸湿了楼下的天花板。")
    form.locator("select[name=parties-0-role]").select_option("applicant")
    form.locator("input[name=parties-0-name]").fill("王芳")
    form.locator("input[name=parties-0-phone]").fill("13812345678")
    form.locator("select[name=parties-1-role]").select_option("respondent")
    form.locator("input[name=parties-1-name]").fill("李强")
    form.locator(".actions button.primary[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/cases/\d+/receipt/$"))
    case_path = re.search(r"/cases/\d+/", desk.url).group(0)
    case = Case.objects.get(pk=int(case_path.strip("/").split("/")[-1]))
    # The sessions below are entered after they took place: the matter came in a week ago.
    registered = timezone.localtime() - timedelta(days=7)
    Case.objects.filter(pk=case.pk).update(received_at=registered)

    # 2. The director routes it to the community's mediation committee.
    director = open_as("director")
    director.goto("/cases/queue/")
    row = director.locator("table.queue tbody tr", has=director.locator(f'a[href="{case_path}"]'))
    row.locator("details.route-form summary").click()
    expect(row.locator("select[name=unit]")).to_have_value(str(w.committee_a.pk))
    row.locator("button[type=submit]").click()
    expect(director.locator(f'table.queue a[href="{case_path}"]')).to_have_count(0)

    # 3. The committee opens the mediation from the case page (it accepts the case too).
    mediator = open_as("mediator")
    mediator.goto(case_path)
    panel = mediator.locator("#mediation")
    expect(panel.locator(".right-to-sue")).to_contain_text(zh(RIGHT_TO_SUE))
    panel.locator("button.open-mediation").click()
    done(mediator, "open")
    mediation_path = f"/mediation/case/{case.pk}/"
    expect(mediator).to_have_url(re.compile(re.escape(mediation_path) + "$"))

    # 4. Both parties consent; they are told of their right to go to court.
    consent(mediator, case, "王芳", "given")
    consent(mediator, case, "李强", "given")
    form = step(mediator, "notice")
    form.locator("select[name=given_by]").select_option(str(chair.pk))
    told = (registered + timedelta(days=2)).replace(hour=9, minute=0)
    form.locator("input[name=given_at]").fill(told.strftime(MINUTE))
    form.locator("button[type=submit]").click()
    done(mediator, "notice")
    expect(mediator.locator("#notice .notice-given")).to_contain_text(chair.name)

    # 5. The first session is recorded after it was held.
    form = step(mediator, "record_session")
    first = told + timedelta(minutes=30)
    form.locator("input[name=starts_at]").fill(first.strftime(MINUTE))
    form.locator("input[name=place]").fill("桂花社区调解室")
    form.locator(f"input[name=mediators][value='{chair.pk}']").check()
    form.locator("textarea[name=attendees]").fill("王芳\n李强")
    form.locator("textarea[name=record]").fill("双方陈述漏水经过，李强同意先查明漏点。")
    form.locator("button[type=submit]").click()
    done(mediator, "record_session")

    # 6. The second is scheduled: it shows on the mediator's page and the calendar …
    form = step(mediator, "schedule")
    second = (registered + timedelta(days=5)).replace(hour=14, minute=0)
    form.locator("input[name=starts_at]").fill(second.strftime(MINUTE))
    form.locator("input[name=place]").fill("桂花社区调解室")
    form.locator("button[type=submit]").click()
    done(mediator, "schedule")
    mediator.goto("/mediation/")
    number = Mediation.objects.get(case=case).number
    expect(mediator.locator("#mediations tbody tr").first).to_contain_text(number)
    expect(mediator.locator("#mediations tbody tr").first.locator("time")).to_have_text(
        second.strftime("%Y-%m-%d %H:%M")
    )
    mediator.goto(f"/mediation/calendar/?committee={w.committee_a.pk}&month={second:%Y-%m}")
    cell = mediator.locator(f'td[data-day="{second:%Y-%m-%d}"] a.session')
    expect(cell).to_contain_text("楼上漏水")

    # … and is recorded once held.
    cell.click()
    planned = mediator.locator("details.planned-session")
    planned.locator("summary").click()
    form = planned.locator("form")
    form.locator("textarea[name=attendees]").fill("王芳\n李强\n物业维修员")
    form.locator("textarea[name=record]").fill(
        "物业确认漏点在楼上卫生间，双方就修复与赔偿达成一致。"
    )
    form.locator("button[type=submit]").click()
    done(mediator, "record_session")
    expect(mediator.locator("#sessions tbody tr.held")).to_have_count(2)

    # 7. The agreement is drafted, previewed, and signed: frozen and stored as a PDF.
    form = step(mediator, "agreement")
    expect(form.locator("textarea[name=dispute_summary]")).to_have_value(case.description)
    form.locator("textarea[name=terms]").fill(
        "李强于十日内请专业人员修复卫生间防水层。\n李强赔偿王芳天花板修复费用一千二百元。"
    )
    form.locator("textarea[name=performance_method]").fill("赔偿款当面付清。")
    form.locator("input[name=amount]").fill("1200")
    form.locator("button[type=submit]").click()
    done(mediator, "agreement")
    preview = mediator.request.get(mediator.locator("#agreement a.draft-pdf").get_attribute("href"))
    assert preview.status == 200 and preview.body().startswith(b"%PDF")
    form = step(mediator, "sign")
    form.locator("button[type=submit]").click()
    done(mediator, "sign")
    link = mediator.locator("#agreement a.agreement-pdf")
    expect(link).to_have_text(re.compile(r"^XY-\d{4}-\d{6}$"))
    agreement_number = link.text_content()
    pdf = mediator.request.get(link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert "王芳" in text and "李强" in text and "13812345678" not in text

    # 8. The follow-up visit is due; the mediator records it.
    mediator.goto("/mediation/")
    visit = mediator.locator("#visits tbody tr").first
    expect(visit).to_contain_text(agreement_number)
    visit.locator("a").click()
    form = step(mediator, "visit")
    form.locator("input[name=performed][value=yes]").check()
    form.locator("input[name=settled][value=yes]").check()
    form.locator("textarea[name=note]").fill("防水层已修复，赔偿款已付清。")
    form.locator("button[type=submit]").click()
    done(mediator, "visit")
    expect(mediator.locator("#visits tbody tr").first).to_contain_text(zh("dispute settled"))

    # The case: resolved by the agreement, every step on its timeline.
    mediator.goto(case_path)
    expect(mediator.locator(".case-head .case-badges .badge").first).to_have_text(
        zh(Status.RESOLVED.label)
    )
    expect(mediator.locator("#mediation .mediation-outcome")).to_have_text(zh(Outcome.AGREED.label))
    labels = mediator.locator("#timeline li strong")
    for action in ("mediation_opened", "mediation_consent", "mediation_rights_notice",
                   "mediation_session", "mediation_agreement_signed", "resolved",
                   "mediation_follow_up_visit"):  # fmt: skip
        expect(labels.filter(has_text=zh(EVENT_LABELS[action])).first).to_be_visible()


@pytest.fixture
def routed_dispute(committee: Any) -> Case:
    w = committee
    case = workflow.register_case(
        actor=w.desk,
        title="占用公共楼道",
        description="邻居长期在楼道堆放杂物。",
        category=Category.objects.get(code="neighbour"),
        channel=Channel.VISIT,
        jurisdiction=w.community_a,
        parties=[
            workflow.NewParty(name="王芳", role="applicant", phone="13812345678"),
            workflow.NewParty(name="李强", role="respondent"),
        ],
    ).case
    workflow.route_case(case, actor=w.director, unit=w.committee_a, complexity=Complexity.GENERAL)
    return case


def test_a_refused_mediation_is_referred_to_court(open_as, routed_dispute):
    case = routed_dispute
    case_path = f"/cases/{case.pk}/"
    mediator = open_as("mediator")
    mediator.goto(case_path)
    mediator.locator("#mediation button.open-mediation").click()
    done(mediator, "open")

    # The applicant does not want mediation: it cannot start, and it stops here.
    consent(mediator, case, "王芳", "refused")
    expect(mediator.locator(".warning[role=alert]").first).to_contain_text("王芳")

    # The case page itself offers the next paths: never a dead end.
    mediator.goto(case_path)
    panel = mediator.locator("#mediation .next-paths")
    expect(panel).to_contain_text("王芳")
    form = panel.locator("form")
    expect(form.locator("input[name=outcome][value=refused]")).to_be_checked()
    for path in NextPath.values:
        expect(form.locator(f"input[name=next_path][value={path}]")).to_be_visible()
    form.locator("input[name=next_path][value=court]").check()
    form.locator("textarea[name=reason]").fill("申请人不同意调解，表示将直接起诉。")
    form.locator("textarea[name=next_path_note]").fill("已告知立案所需材料。")
    form.locator("button[type=submit]").click()
    done(mediator, "conclude")

    # Back on the case page: transferred to the court, the right to sue on the record.
    expect(mediator).to_have_url(re.compile(re.escape(case_path) + "$"))
    expect(mediator.locator(".case-head .case-badges .badge").first).to_have_text(
        zh(Status.TRANSFERRED_OUT.label)
    )
    expect(mediator.locator("#mediation .mediation-outcome")).to_have_text(
        zh(Outcome.REFUSED.label)
    )
    expect(mediator.locator("#mediation .next-path")).to_contain_text(zh(NextPath.COURT.label))
    expect(mediator.locator("#timeline")).to_contain_text(zh(RIGHT_TO_SUE))
    referral = mediator.request.get(
        mediator.locator("#mediation a.referral-pdf").get_attribute("href")
    )
    assert referral.status == 200
    text = pdf_text(referral.body())
    assert "王芳" in text and "李强" in text
    mediation = Mediation.objects.get(case=case)
    assert mediation.outcome == Outcome.REFUSED and mediation.next_path == NextPath.COURT
