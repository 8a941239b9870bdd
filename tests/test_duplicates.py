"""Duplicates and related matters: found with reasons, joined and undone with nothing lost."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yimen.audit.services import verify_chain
from yimen.cases import merging
from yimen.cases import workflow as wf
from yimen.cases.duplicates import Matter, community_path, find_similar, likeness
from yimen.cases.models import Case, CaseEvent, CaseLink, Category, Status
from yimen.cases.workflow import Invalid, NotAllowed

pytestmark = pytest.mark.usefixtures("english")

LIGHT = "路灯不亮", "桂花小区3号楼门口的路灯坏了一个多星期，晚上一片漆黑，老人出门很不安全。"
LIGHT_AGAIN = (
    "小区路灯坏了",
    "3号楼门口路灯已经坏了一个星期了，晚上很黑，老人出门不安全，请尽快修。",
)
NOISE = "楼上噪音", "楼上住户每天深夜跳绳，噪音很大，影响休息，沟通多次无果。"


def register(
    w,
    title,
    description,
    *,
    actor=None,
    place=None,
    phone="13800000001",
    files=(),
    lat=None,
    lng=None,
    address="",
    category="urban",
):
    return wf.register_case(
        actor=actor or w.desk, title=title, description=description,
        category=Category.objects.get(code=category), channel="visit",
        jurisdiction=place or w.community_a, address=address, latitude=lat, longitude=lng,
        parties=[wf.NewParty("王芳", "applicant", phone)],
        attachments=[wf.NewAttachment(f) for f in files],
    ).case  # fmt: skip


# --- the rule, as a pure function ---------------------------------------------------------


def test_a_paraphrase_is_likely_the_same_and_says_why():
    found = likeness(Matter(*LIGHT_AGAIN), Matter(*LIGHT))
    assert found.likely and "text" in found.reasons


def test_a_different_matter_next_door_is_related_but_not_the_same():
    here = dict(latitude=30.05, longitude=120.06)
    found = likeness(Matter(*NOISE, **here), Matter(*LIGHT, **here))
    assert not found.likely
    assert found.reasons == ["place"]


def test_weaker_text_is_enough_with_the_same_place_or_party():
    old = Matter("路灯坏了", "门口路灯不亮。", latitude=30.05, longitude=120.06)
    new = Matter("晚上太黑", "门口路灯不亮，出门摔了一跤。", latitude=30.0503, longitude=120.0601)
    alone = likeness(Matter(new.title, new.description), Matter(old.title, old.description))
    near = likeness(new, old)
    assert not alone.likely and near.likely
    assert {"text", "place"} <= set(near.reasons) and near.distance_m < 50


def test_odd_text_never_crashes():
    for text in ("", "a", "x" * 20_000, "Streetlight broken 路灯", "！！！"):
        assert likeness(Matter(text, text), Matter(*LIGHT)).score >= 0


# --- finding them -------------------------------------------------------------------------


def test_similar_open_matters_are_found_with_reasons_but_not_across_communities(cases_world, media):
    w = cases_world
    first = register(w, *LIGHT)
    register(w, *NOISE, category="neighbour")
    other_side = register(w, *LIGHT, actor=w.desk_b, place=w.community_b)
    matter = Matter(*LIGHT_AGAIN, phones=frozenset())
    found = find_similar(Case.objects.for_user(w.desk), matter,
                         near_path=community_path(w.community_a), now=timezone.now())  # fmt: skip
    assert [s.case for s in found][:1] == [first]
    assert found[0].likeness.likely
    assert other_side not in [s.case for s in found]


def test_the_same_phone_is_a_reason(cases_world, media):
    w = cases_world
    first = register(w, *NOISE, phone="13912345678", category="neighbour")
    matter = Matter("又来了", "还是那家，又吵了一晚上。", phones=frozenset({"13912345678"}))
    found = find_similar(Case.objects.for_user(w.desk), matter,
                         near_path=community_path(w.community_a), now=timezone.now())  # fmt: skip
    assert found[0].case == first and "party" in found[0].likeness.reasons


# --- merging ------------------------------------------------------------------------------


def test_a_merge_and_its_undo_lose_nothing(cases_world, media):
    w = cases_world
    photo = SimpleUploadedFile("light.jpg", _jpeg(), content_type="image/jpeg")
    keeper = register(w, *LIGHT)
    report = register(w, *LIGHT_AGAIN, phone="13700000002", files=[photo])
    report_events = set(report.events.values_list("pk", flat=True))
    report_party = report.parties.get()
    report_file = report.attachments.get()

    merge = merging.merge_case(report, into=keeper, actor=w.desk, reasons=["text"])
    report.refresh_from_db()
    assert report.status == Status.MERGED
    assert len(merging.reporters(keeper)) == 2
    assert keeper.attachments.get() == report_file
    assert report_events < set(report.events.values_list("pk", flat=True))  # history stays
    assert keeper.events.filter(action="merged_in").exists()

    merging.undo_merge(merge, actor=w.desk)
    report.refresh_from_db()
    assert report.status == Status.REGISTERED
    assert list(report.parties.all()) == [report_party]
    assert list(report.attachments.all()) == [report_file]
    assert len(merging.reporters(keeper)) == 1 and not keeper.attachments.exists()
    assert report_events < set(report.events.values_list("pk", flat=True))
    assert CaseEvent.objects.filter(action="merge_undone").count() == 2
    assert verify_chain() is None
    with pytest.raises(wf.Conflict):
        merging.undo_merge(merge, actor=w.desk)


def test_merged_reports_are_counted_once_on_the_dashboard(cases_world, media):
    from yimen.dashboard.figures import Scope, received
    from yimen.periods import month_of

    w = cases_world
    keeper, report = register(w, *LIGHT), register(w, *LIGHT_AGAIN)
    merging.merge_case(report, into=keeper, actor=w.desk)
    today = timezone.localdate()
    assert list(received(Scope.for_user(w.director, month_of(today), today))) == [keeper]


def test_merge_rules(cases_world, media):
    w = cases_world
    keeper, report = register(w, *LIGHT), register(w, *LIGHT_AGAIN)
    other_side = register(w, *LIGHT, actor=w.desk_b, place=w.community_b)
    with pytest.raises(Invalid):
        merging.merge_case(keeper, into=keeper, actor=w.desk)
    with pytest.raises(NotAllowed):  # a case of another community
        merging.merge_case(report, into=other_side, actor=w.desk)
    with pytest.raises(NotAllowed):  # a unit's staff do not merge
        merging.merge_case(report, into=keeper, actor=w.unit)
    merging.merge_case(report, into=keeper, actor=w.desk)
    with pytest.raises(Invalid):  # not into a merged report
        merging.merge_case(register(w, *LIGHT), into=report, actor=w.desk)


def test_linking_is_shown_on_both_and_harmless_twice(cases_world, media, client_for):
    w = cases_world
    light, noise = register(w, *LIGHT), register(w, *NOISE, category="neighbour")
    merging.link_related(light, noise, actor=w.desk)
    merging.link_related(noise, light, actor=w.desk)
    assert CaseLink.objects.count() == 1
    assert merging.related_cases(light, w.desk) == [noise]
    page = client_for(w.desk).get(f"/cases/{noise.pk}/").content.decode()
    assert light.receipt_number in page


# --- at the front desk ---------------------------------------------------------------------


def intake_post(w, **extra):
    data = {
        "channel": "visit", "category": Category.objects.get(code="urban").pk,
        "title": LIGHT_AGAIN[0], "description": LIGHT_AGAIN[1],
        "jurisdiction": w.community_a.pk, "address": "",
        "parties-TOTAL_FORMS": "1", "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0", "parties-MAX_NUM_FORMS": "1000",
        "parties-0-role": "applicant", "parties-0-name": "李强", "parties-0-phone": "13600000003",
    }  # fmt: skip
    return data | extra


def test_intake_shows_suggestions_and_the_likely_duplicate(cases_world, media, client_for):
    w = cases_world
    first = register(w, *LIGHT)
    client = client_for(w.desk)
    response = client.post("/cases/new/hints/", intake_post(w))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Urban construction" in page or "城建市政" in page  # the keyword rules' first choice
    assert first.receipt_number in page and "likely the same" in page
    checked = client.post("/cases/new/", intake_post(w, check="1")).content.decode()
    assert first.receipt_number in checked and LIGHT_AGAIN[1] in checked  # nothing lost


def test_intake_joins_the_new_report_to_the_chosen_case(cases_world, media, client_for):
    w = cases_world
    first = register(w, *LIGHT)
    response = client_for(w.desk).post("/cases/new/", intake_post(w, attach_to=str(first.pk)))
    assert response.status_code == 302
    new = Case.objects.exclude(pk=first.pk).get()
    assert new.status == Status.MERGED
    assert sorted(p.name for p in merging.reporters(first)) == ["李强", "王芳"]


def test_intake_cannot_join_a_case_of_another_community(cases_world, media, client_for):
    w = cases_world
    other_side = register(w, *LIGHT, actor=w.desk_b, place=w.community_b)
    response = client_for(w.desk).post("/cases/new/", intake_post(w, attach_to=str(other_side.pk)))
    assert response.status_code == 400
    assert Case.objects.count() == 1  # nothing registered: one transaction
    assert LIGHT_AGAIN[1] in response.content.decode()


def test_the_case_page_offers_the_merge_and_its_undo(cases_world, media, client_for):
    w = cases_world
    keeper, report = register(w, *LIGHT), register(w, *LIGHT_AGAIN)
    client = client_for(w.desk)
    page = client.get(f"/cases/{report.pk}/").content.decode()
    assert f'hx-get="/cases/{report.pk}/similar/"' in page  # fetched once the page is shown
    similar = client.get(f"/cases/{report.pk}/similar/").content.decode()
    assert keeper.receipt_number in similar and "likely the same" in similar
    assert client_for(w.desk_b).get(f"/cases/{report.pk}/similar/").status_code == 404
    response = client.post(f"/cases/{report.pk}/merge/", {"other": keeper.receipt_number})
    assert response.status_code == 302 and response["Location"].endswith(
        f"/cases/{keeper.pk}/#reports"
    )
    merge = keeper.merges_in.get()
    assert "2 reporters" in client.get(f"/cases/{keeper.pk}/").content.decode()
    assert client_for(w.desk_b).post(f"/cases/merges/{merge.pk}/undo/").status_code == 404
    assert client.post(f"/cases/merges/{merge.pk}/undo/").status_code == 302
    report.refresh_from_db()
    assert report.status == Status.REGISTERED


def test_a_failed_merge_keeps_what_was_typed(cases_world, media, client_for):
    w = cases_world
    report = register(w, *LIGHT)
    response = client_for(w.desk).post(f"/cases/{report.pk}/merge/", {"other": "YM-NOPE-1"})
    assert response.status_code == 400
    assert 'value="YM-NOPE-1"' in response.content.decode()


def _jpeg() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def test_map_points_are_compared_in_metres():
    a = Matter("a", "b", latitude=30.0, longitude=120.0)
    b = Matter("a", "b", latitude=float(Decimal("30.001")), longitude=120.0)
    assert 100 < likeness(a, b).distance_m < 120


def test_each_reporter_follows_the_joined_case_with_their_own_code(cases_world, media, client):
    w = cases_world
    keeper = register(w, *LIGHT)
    mine = wf.register_case(
        actor=w.desk, title=LIGHT_AGAIN[0], description=LIGHT_AGAIN[1],
        category=Category.objects.get(code="urban"), channel="visit",
        jurisdiction=w.community_a, parties=[wf.NewParty("李强", "applicant", "13600000003")],
    )  # fmt: skip
    merging.merge_case(mine.case, into=keeper, actor=w.desk)
    client.post("/track/", {"number": mine.case.receipt_number, "code": mine.tracking_code})
    page = client.get("/track/").content.decode()
    assert keeper.receipt_number in page and mine.case.receipt_number in page
    assert "was joined to this case" in page


def test_repeated_matters_of_one_party_are_listed_masked_with_their_cases(
    cases_world, media, client_for, settings
):
    import re
    from html import unescape

    settings.YIMEN_HOTSPOT_MIN_REPEATS = 2
    w = cases_world
    mine = [register(w, *text, phone="13912345678") for text in (LIGHT, NOISE)]
    other = register(w, *LIGHT_AGAIN, phone="13700000000")
    page = client_for(w.director).get("/dashboard/trends/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
    link = unescape(re.search(r'id="repeated-parties".*?href="([^"]+)"', page, re.S).group(1))
    listed = client_for(w.director).get(link).content.decode()
    assert all(case.receipt_number in listed for case in mine)
    assert other.receipt_number not in listed
    assert "139****5678" not in client_for(w.desk_b).get("/dashboard/trends/").content.decode()
