"""Long lists: counted up to COUNT_UP_TO, then paged on by key (yimen.cases.paging).

Scoping from the outside: a key taken from another community's case shows nothing of it.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from yimen.cases import paging
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category
from yimen.cases.paging import CappedPaginator, Key, newest_first
from yimen.cases.views import lists

pytestmark = pytest.mark.usefixtures("english")


def test_key_round_trips_through_its_text():
    key = Key(datetime(2026, 3, 2, 8, 30, 0, 123456, tzinfo=UTC), 4711)
    assert str(key) == "1772440200123456_4711"
    assert Key.parse(str(key)) == key


@pytest.mark.parametrize(
    "text", ["", "abc", "123", "_5", "5_", "1_-2", "12.5_3", "9" * 19 + "_1", "1_2_3"]
)
def test_a_malformed_key_is_none(text):
    assert Key.parse(text) is None


def _cases(w, n: int) -> list[Case]:
    """``n`` cases in community A, received a minute apart, the newest last."""
    category = Category.objects.get(code="neighbour")
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    made = []
    for i in range(n):
        case = wf.register_case(
            actor=w.desk, category=category, title=f"第{i}件", description="说明。",
            channel="visit", jurisdiction=w.community_a,
            parties=[wf.NewParty("王芳", "applicant", "13812345678", "")],
        ).case  # fmt: skip
        Case.objects.filter(pk=case.pk).update(received_at=start + timedelta(minutes=i))
        made.append(case)
    # Two cases received in the same instant: the id breaks the tie.
    Case.objects.filter(pk=made[1].pk).update(received_at=start + timedelta(minutes=2))
    return list(Case.objects.filter(pk__in=[c.pk for c in made]).order_by("-received_at", "-pk"))


def test_capped_count_stops_at_the_cap(cases_world):
    ordered = _cases(cases_world, 7)
    small = CappedPaginator(Case.objects.all(), 2, count_up_to=10)
    assert (small.count, small.capped) == (7, False)
    capped = CappedPaginator(Case.objects.all(), 2, count_up_to=4)
    assert (capped.count, capped.capped, capped.num_pages) == (4, True, 2)
    exact = CappedPaginator(Case.objects.all(), 2, count_up_to=7)
    assert (exact.count, exact.capped) == (7, False)
    assert len(ordered) == 7


def test_pages_by_number_then_by_key_cover_every_row_once(cases_world):
    ordered = _cases(cases_world, 11)
    seen, params = [], {}
    listing = newest_first(Case.objects.all(), params, 3, count_up_to=5)
    assert (listing.count, listing.capped, listing.next_key) == (5, True, None)
    seen += listing.page.object_list
    listing = newest_first(Case.objects.all(), {"page": "2"}, 3, count_up_to=5)
    seen += listing.page.object_list
    # The last numbered page (rows 4 and 5 of the 5 counted) goes on by key.
    assert listing.next_key == Key.of(ordered[4])
    key = listing.next_key
    while key is not None:
        listing = newest_first(Case.objects.all(), {"after": str(key)}, 3, count_up_to=5)
        assert listing.count is None and listing.page.keyset
        seen += listing.page.object_list
        key = listing.page.next_key
    assert [c.pk for c in seen] == [c.pk for c in ordered]


def test_an_uncapped_list_has_no_key_to_go_on(cases_world):
    _cases(cases_world, 4)
    listing = newest_first(Case.objects.all(), {"page": "2"}, 3, count_up_to=5)
    assert (listing.count, listing.capped, listing.next_key) == (4, False, None)


def test_a_bad_key_shows_the_first_page(cases_world):
    ordered = _cases(cases_world, 4)
    listing = newest_first(Case.objects.all(), {"after": "nonsense"}, 3)
    assert listing.page.number == 1
    assert list(listing.page.object_list) == ordered[:3]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(lists, "PAGE_SIZE", 3)
    monkeypatch.setattr(paging, "COUNT_UP_TO", 5)


def test_case_list_says_more_than_and_walks_on_by_key(cases_world, client_for, small_pages):
    ordered = _cases(cases_world, 8)
    client = client_for(cases_world.desk)
    html = client.get(reverse("cases:list"), {"page": 2}).content.decode()
    assert "More than 5 cases" in html and "Page 2" in html
    key = Key.of(ordered[4])
    assert f"after={key}" in html
    html = client.get(reverse("cases:list"), {"after": str(key)}).content.decode()
    assert all(case.receipt_number in html for case in ordered[5:])
    assert ordered[4].receipt_number not in html
    assert "Cases received before" in html and 'rel="next"' not in html


def test_a_key_from_another_community_reveals_nothing(cases_world, client_for, small_pages):
    ordered = _cases(cases_world, 4)  # all in community A
    client = client_for(cases_world.desk_b)
    response = client.get(reverse("cases:list"), {"after": str(Key.of(ordered[0]))})
    html = response.content.decode()
    assert response.status_code == 200
    assert not any(case.receipt_number in html for case in ordered)
    assert "No cases match." in html
