"""The hot pages cost the same number of queries for 3 cases as for 30 (no N+1).

Each page is requested once over a few cases and once over ten times as many, each case
with parties, an assignment slip, an overdue deadline and a timeline; the query count must
not grow. The scale benchmarks (bench/README.md) measure their time.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category, Complexity

pytestmark = pytest.mark.usefixtures("english")


def make_cases(w, n: int) -> Case:
    """``n`` cases in community A, routed to its committee, overdue; returns the last."""
    category = Category.objects.get(code="neighbour")
    for i in range(n):
        case = wf.register_case(
            actor=w.desk, title=f"楼上漏水{i}", description=f"楼上漏水第{i}次。",
            category=category, channel="visit", jurisdiction=w.community_a,
            parties=[wf.NewParty("王芳", "applicant", f"138000{i:05d}"),
                     wf.NewParty("李强", "respondent", "")],
        ).case  # fmt: skip
        wf.route_case(case, actor=w.director, unit=w.committee_a, complexity=Complexity.GENERAL)
        wf.accept_case(case, actor=w.mediator)
        wf.record_action(case, actor=w.mediator, kind="call", note=f"电话联系{i}")
    Case.objects.update(deadline=timezone.localdate() - timedelta(days=3))
    return case


HOT_PAGES = {
    "case list": (
        "director", lambda w, _: f"/cases/?unit={w.committee_a.pk}&status=open&overdue=1",
    ),
    "case list, page 2": ("director", lambda w, case: "/cases/?page=2"),
    "search": ("director", lambda w, case: "/cases/?q=漏水"),
    "case page": ("director", lambda w, case: f"/cases/{case.pk}/"),
    "my work": ("mediator", lambda w, case: "/cases/inbox/"),
    "dashboard": ("director", lambda w, case: "/dashboard/"),
    "supervision desk": ("supervisor", lambda w, case: "/supervision/"),
}  # fmt: skip


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("page", HOT_PAGES)
def test_a_hot_page_costs_the_same_queries_for_ten_times_the_cases(
    cases_world, client_for, page, settings, monkeypatch
):
    from yimen.cases import inbox

    settings.YIMEN_TRIAGE_MODEL = "/nonexistent/model.pkl"
    monkeypatch.setattr(inbox, "SECTION_ROWS", 100)  # every row drawn: N+1 would show
    w = cases_world
    role, url = HOT_PAGES[page]
    client = client_for(getattr(w, role))
    case = make_cases(w, 3)
    few = queries(client, url(w, case))
    case = make_cases(w, 27)
    assert queries(client, url(w, case)) <= few, page


def test_an_inbox_section_shows_the_nearest_deadlines_and_counts_the_rest(
    cases_world, client_for, monkeypatch
):
    from yimen.cases import inbox

    monkeypatch.setattr(inbox, "SECTION_ROWS", 2)
    w = cases_world
    make_cases(w, 3)
    page = client_for(w.mediator).get("/cases/inbox/").content.decode()
    assert 'data-count="handling">3<' in page
    assert "The 2 with the nearest deadlines are shown, of 3." in page


def test_an_inbox_section_counts_up_to_its_cap(cases_world, client_for, monkeypatch):
    """Past SECTION_COUNT_UP_TO the count stops and says "more than"."""
    from yimen.cases import inbox

    monkeypatch.setattr(inbox, "SECTION_ROWS", 1)
    monkeypatch.setattr(inbox, "SECTION_COUNT_UP_TO", 2)
    make_cases(cases_world, 4)
    page = client_for(cases_world.mediator).get("/cases/inbox/").content.decode()
    assert "The 1 with the nearest deadlines are shown, of more than 2." in page
    assert ">2+<" in page
