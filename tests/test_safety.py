"""Public safety: the places register, checklists, inspections, hazards and their
rectification, the sweep, the desk, the registers and the field-work contract.

"Today" is Thursday 2026-09-24, the day before the Mid-Autumn holiday (Fri 9-25 to Sun 9-27)
and a week before National Day (Thu 10-1 to Wed 10-7; Saturday 10-10 is worked). Ten
working days from 9-24 fall on 2026-10-15. ``safety`` is the street's work-safety office
staff member; ``grid`` a grid worker of community A; ``desk_b`` a member of community B.
"""

import io
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from yimen.audit.models import Event
from yimen.cases.workflow import Invalid, NotAllowed
from yimen.notices.models import NoticeKind, Notification
from yimen.org.models import Role
from yimen.safety import rules, services
from yimen.safety.models import (
    ChecklistItem,
    Hazard,
    HazardStatus,
    Inspection,
    Photo,
    Place,
    PlaceType,
    Topic,
)
from yimen.supervision.sweep import run_sweep
from yimen.workdays.models import CalendarYear, SpecialDay
from yimen.workdays.services import load_calendar, schedule_changed

from .factories import UserFactory
from .portal_support import photo, photo_bytes

TZ = ZoneInfo("Asia/Shanghai")
SEPTEMBER = {"start": "2026-09-01", "end": "2026-09-30"}


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


@pytest.fixture
def clock(monkeypatch):
    """``clock(2026, 10, 16, 9)``: from now on it is that local time (default 9-24 10:00)."""
    state = SimpleNamespace(now=datetime(2026, 9, 24, 10, 0, tzinfo=TZ))

    def set_clock(*args) -> None:
        state.now = datetime(*args, tzinfo=TZ)

    monkeypatch.setattr(timezone, "now", lambda: state.now.astimezone(UTC))
    return set_clock


@pytest.fixture
def sw(cases_world, media, clock):
    """``cases_world`` with safety-office staff and one market in each community."""
    w = cases_world
    w.safety_staff = UserFactory(username="safety", role=Role.UNIT, jurisdiction=w.street,
                                 unit=w.safety)  # fmt: skip
    w.market_a = Place.objects.create(
        name="桂花农贸市场", place_type=PlaceType.CROWDED, address="桂花路12号",
        jurisdiction=w.grid_a1, organisation="桂花市场管理有限公司", contact_name="市场办",
        contact_phone="0571-88000001", inspection_days=30,
    )  # fmt: skip
    w.market_b = Place.objects.create(
        name="柳岸小商品市场", place_type=PlaceType.CROWDED, address="柳岸路3号",
        jurisdiction=w.grid_b1, organisation="柳岸市场公司", inspection_days=30,
    )  # fmt: skip
    return w


def items_of(place):
    return list(ChecklistItem.objects.filter(place_type=place.place_type, is_active=True))


def inspection_post(place, *, failed=(), key=None, notes=None, photos=None):
    """The phone form as sent: every item passed except ``failed`` (indexes of items)."""
    data = {"client_key": str(key or uuid.uuid4()), "note": "例行检查",
            "inspected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    for n, item in enumerate(items_of(place)):
        data[f"item_{item.pk}"] = "fail" if n in failed else "pass"
        data[f"note_{item.pk}"] = (notes or {}).get(n, "")
    for n, upload in (photos or {}).items():
        data[f"photos_{items_of(place)[n].pk}"] = upload
    return data


def inspect(client, place, **kwargs):
    return client.post(reverse("safety:inspect", args=[place.pk]), inspection_post(place, **kwargs))


def patrol_hazard(w, **extra):
    values = {"actor": w.grid, "jurisdiction": w.grid_a1, "description": "桂花路井盖缺失"}
    return services.report_hazard(**(values | extra))


# --- the checklists -------------------------------------------------------------------------


def test_the_checklists_are_seeded_for_every_type_of_place(db):
    for place_type in PlaceType.values:
        assert ChecklistItem.objects.filter(place_type=place_type, is_active=True).exists()
    crowded = set(ChecklistItem.objects.filter(place_type="crowded").values_list("topic", "text"))
    assert (Topic.FIRE, "消防通道畅通，无占用、堵塞、封闭") in crowded
    assert (Topic.CROWD, "人员密集场所限流措施落实，不超过核定人数") in crowded
    assert (Topic.EXITS, "安全出口、疏散通道畅通，未上锁、未堵塞") in crowded
    rental_topics = set(
        ChecklistItem.objects.filter(place_type="rental").values_list("topic", flat=True)
    )
    assert {Topic.FIRE, Topic.GAS, Topic.ELECTRICAL, Topic.EXITS} <= rental_topics
    assert ChecklistItem.objects.filter(text__contains="灭火器").exists()
    assert ChecklistItem.objects.filter(place_type="construction", topic=Topic.SITE).exists()
    assert not ChecklistItem.objects.filter(place_type="construction", topic=Topic.CROWD).exists()


def test_the_director_edits_a_checklist_and_the_change_is_audited(sw, client_for):
    item = ChecklistItem.objects.filter(place_type="rental").first()
    client = client_for(sw.director)
    page = client.get(reverse("safety:checklists") + "?type=rental")
    assert page.status_code == 200
    formset = page.context["formset"]
    data = {"form-TOTAL_FORMS": str(len(formset.forms)),
            "form-INITIAL_FORMS": str(formset.initial_form_count()),
            "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for n, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if name == "id":
                value = value.pk if hasattr(value, "pk") else value
            if name == "is_active":
                if value:
                    data[f"form-{n}-{name}"] = "on"
                continue
            data[f"form-{n}-{name}"] = "" if value is None else value
    data["form-0-text"] = "楼道内无堆放杂物"
    extra = formset.initial_form_count()
    data |= {f"form-{extra}-topic": "fire", f"form-{extra}-text": "楼顶平台通道畅通",
             f"form-{extra}-position": "99", f"form-{extra}-is_active": "on"}  # fmt: skip
    response = client.post(reverse("safety:checklists") + "?type=rental", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.text == "楼道内无堆放杂物"
    assert ChecklistItem.objects.filter(place_type="rental", text="楼顶平台通道畅通").exists()
    assert Event.objects.filter(action="safety.checklistitem.updated", object_id=str(item.pk))
    assert Event.objects.filter(action="safety.checklistitem.created").count() == 1
    assert client_for(sw.safety_staff).get(reverse("safety:checklists")).status_code == 403


# --- the working-day deadline ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("found_on", "days", "due"),
    [
        (date(2026, 9, 24), 10, date(2026, 10, 15)),  # Mid-Autumn, National Day, Sat 10-10 worked
        (date(2026, 9, 24), 3, date(2026, 9, 30)),  # Fri 9-25 is a holiday
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday → Monday over the weekend
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # found on a Saturday: Monday counts
    ],
)
def test_the_rectification_deadline_counts_working_days(db, found_on, days, due):
    assert rules.rectify_deadline(found_on, load_calendar(found_on), days).date == due


def test_the_default_deadline_is_the_setting(sw, settings):
    settings.YIMEN_HAZARD_RECTIFY_WORKING_DAYS = 3
    assert patrol_hazard(sw).deadline == date(2026, 9, 30)


# --- the field-work contract ----------------------------------------------------------------


def test_report_hazard_makes_an_open_audited_hazard_with_the_default_deadline(sw):
    hazard = services.report_hazard(
        actor=sw.grid, jurisdiction=sw.grid_a1, description="市场东门消防通道被货车堵塞",
        latitude="30.050000", longitude="120.050000", place=sw.market_a, photos=[photo()],
    )  # fmt: skip
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.OPEN
    assert hazard.source == "patrol"
    assert hazard.deadline == date(2026, 10, 15)
    assert hazard.found_on == date(2026, 9, 24)
    assert hazard.responsible_org == "桂花市场管理有限公司"  # the place's
    assert hazard.reported_by == sw.grid
    assert hazard.number.startswith("YH-2026-")
    event = Event.objects.get(action="safety.hazard.reported")
    assert event.object_id == str(hazard.pk) and event.path == sw.grid_a1.path
    stored = hazard.photos.get()
    with stored.image.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "JPEG" and not image.getexif()  # no camera, no GPS
        assert max(image.size) <= 1600


def test_report_hazard_takes_an_organisation_and_a_source(sw):
    hazard = patrol_hazard(sw, responsible_org="桂花物业", source="report")
    assert (hazard.responsible_org, hazard.source, hazard.place) == ("桂花物业", "report", None)
    at_market = patrol_hazard(sw, actor=sw.director, jurisdiction=sw.community_a,
                              place=sw.market_a)  # fmt: skip
    assert at_market.jurisdiction == sw.grid_a1  # the place's own grid


def test_report_hazard_refuses_what_it_must(sw):
    with pytest.raises(NotAllowed):
        patrol_hazard(sw, jurisdiction=sw.grid_b1)
    with pytest.raises(NotAllowed):
        patrol_hazard(sw, place=sw.market_b)
    with pytest.raises(Invalid):  # a place in B named under a grid of A
        patrol_hazard(sw, actor=sw.director, place=sw.market_b)
    with pytest.raises(Invalid):
        patrol_hazard(sw, description="  ")
    with pytest.raises(Invalid):
        patrol_hazard(sw, source="rumour")
    text = SimpleUploadedFile("现场.jpg", b"not a photo at all", content_type="image/jpeg")
    with pytest.raises(Invalid) as refused:
        patrol_hazard(sw, photos=[text])
    assert refused.value.fields == {"photos": "现场.jpg is not a photo, PDF or Office document."}
    assert not Hazard.objects.exists() and not Photo.objects.exists()


def test_the_map_gets_the_visible_hazards_not_signed_off_with_a_point(sw):
    pinned = patrol_hazard(sw, latitude="30.05", longitude="120.05")
    patrol_hazard(sw)  # no point: not on the map
    services.report_hazard(actor=sw.desk_b, jurisdiction=sw.grid_b1, description="柳岸路灯杆倾斜",
                           latitude="30.2", longitude="120.2")  # fmt: skip
    collection = services.open_hazards_geojson(sw.grid)
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [120.05, 30.05]}
    assert feature["properties"] == {
        "id": pinned.pk, "number": pinned.number, "description": "桂花路井盖缺失",
        "deadline": "2026-10-15", "status": "open", "overdue": False,
        "url": f"/safety/hazards/{pinned.pk}/",
    }  # fmt: skip
    assert len(services.open_hazards_geojson(sw.director)["features"]) == 2


# --- an inspection, its hazards, rectification, sign-off and the sweep ---------------------


def test_two_failed_items_become_two_hazards_one_signed_off_the_other_overdue_once(
    sw, client_for, clock
):
    w = sw
    inspector = client_for(w.grid)
    response = inspect(inspector, w.market_a, failed=(0, 2),
                       notes={0: "消防通道堆放货物", 2: ""})  # fmt: skip
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("safety:inspection", args=[inspection.pk])
    assert inspection.inspector == w.grid
    assert inspection.results.count() == len(items_of(w.market_a))
    blocked, second = Hazard.objects.order_by("pk")
    items = items_of(w.market_a)
    assert blocked.description == f"{items[0].text}：消防通道堆放货物"
    assert second.description == items[2].text
    for hazard in (blocked, second):
        assert (hazard.source, hazard.status, hazard.place) == ("inspection", "open", w.market_a)
        assert hazard.deadline == date(2026, 10, 15)
        assert hazard.responsible_org == "桂花市场管理有限公司"
        assert hazard.result.inspection == inspection
    page = inspector.get(response["Location"]).content.decode()
    assert blocked.number in page and second.number in page
    listing = client_for(w.safety_staff).get(reverse("safety:hazards")).content.decode()
    assert listing.count("2026-10-15") == 2
    w.market_a.refresh_from_db()
    assert w.market_a.last_inspected_on == date(2026, 9, 24)
    assert w.market_a.inspection_due_on == date(2026, 10, 24)
    assert Event.objects.filter(action="safety.inspection.recorded").count() == 1
    assert Event.objects.filter(action="safety.hazard.reported").count() == 2

    # The market clears the passage; the grid worker records it; the safety office signs off.
    clock(2026, 9, 30, 15, 0)
    inspector = client_for(w.grid)  # a new day, a new sign-in
    fixed = inspector.post(reverse("safety:hazard_action", args=[blocked.pk, "rectify"]),
                           {"note": "货物已清走，通道畅通", "photos": photo()})  # fmt: skip
    assert fixed.status_code == 302
    blocked.refresh_from_db()
    assert blocked.status == HazardStatus.RECTIFIED
    assert blocked.photos.filter(stage="rectified").count() == 1
    # A grid worker may not sign off; the safety office may.
    url = reverse("safety:hazard_action", args=[blocked.pk, "reinspect"])
    assert inspector.post(url, {"outcome": "pass"}).status_code == 403
    assert (
        client_for(w.safety_staff).post(url, {"outcome": "pass", "note": "复查合格"}).status_code
        == 302
    )
    blocked.refresh_from_db()
    assert (blocked.status, blocked.signed_off_by) == (HazardStatus.SIGNED_OFF, w.safety_staff)
    assert list(blocked.events.values_list("action", flat=True)) == [
        "reported", "rectified", "signed_off"]  # fmt: skip

    # On the deadline day nothing is overdue; the day after, the open one is, once.
    run_sweep(date(2026, 10, 15))
    assert not Notification.objects.filter(kind=NoticeKind.RECTIFICATION_OVERDUE).exists()
    run_sweep(date(2026, 10, 16))
    run_sweep(date(2026, 10, 16))
    run_sweep(date(2026, 10, 19))
    [notice] = Notification.objects.filter(kind=NoticeKind.RECTIFICATION_OVERDUE)
    assert notice.recipient == w.safety_staff
    assert second.number in notice.message and "2026-10-15" in notice.message
    assert notice.link == reverse("safety:hazard", args=[second.pk])
    assert Event.objects.filter(action="safety.rectifications.overdue").count() == 1

    # The desk and the landing page show it, linked to the list of overdue hazards.
    clock(2026, 10, 16, 9, 0)
    desk = client_for(w.supervisor).get(reverse("supervision:desk")).content.decode()
    assert 'id="rectifications"' in desk and "?show=overdue" in desk
    overdue_list = client_for(w.director).get(reverse("safety:hazards") + "?show=overdue")
    assert [h.pk for h in overdue_list.context["page"].object_list] == [second.pk]
    landing = client_for(w.safety_staff).get(reverse("safety:index"))
    assert landing.context["overdue_count"] == 1


def test_a_failed_reinspection_reopens_with_the_same_deadline(sw, client_for):
    hazard = patrol_hazard(sw)
    services.record_rectification(hazard, actor=sw.grid, note="已加盖临时井盖")
    with pytest.raises(Invalid):
        services.reinspect(hazard, actor=sw.safety_staff, passed=False, note="")
    hazard = services.reinspect(hazard, actor=sw.safety_staff, passed=False, note="临时井盖不稳固")
    assert (hazard.status, hazard.deadline) == (HazardStatus.OPEN, date(2026, 10, 15))
    assert hazard.signed_off_at is None
    with pytest.raises(NotAllowed):
        services.reinspect(hazard, actor=sw.director, passed=True)


def test_a_rectified_hazard_not_signed_off_is_overdue_too(sw):
    hazard = patrol_hazard(sw)
    services.record_rectification(hazard, actor=sw.grid, note="已修复")
    run_sweep(date(2026, 10, 16))
    assert Notification.objects.filter(kind=NoticeKind.RECTIFICATION_OVERDUE).count() == 1


def test_a_hazard_from_the_field_reaches_the_safety_office(sw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        hazard = patrol_hazard(sw)
    [notice] = Notification.objects.filter(kind=NoticeKind.HAZARD_REPORTED)
    assert notice.recipient == sw.safety_staff and hazard.number in notice.message
    with django_capture_on_commit_callbacks(execute=True):
        patrol_hazard(sw, actor=sw.safety_staff)  # found by the office itself: nobody told
    assert Notification.objects.filter(kind=NoticeKind.HAZARD_REPORTED).count() == 1


# --- the phone form -------------------------------------------------------------------------


def test_a_form_sent_twice_with_one_key_makes_one_inspection(sw, client_for):
    client, key = client_for(sw.grid), uuid.uuid4()
    first = inspect(client, sw.market_a, failed=(1,), key=key)
    again = inspect(client, sw.market_a, failed=(1,), key=key)
    inspection = Inspection.objects.get()
    assert (
        first["Location"] == again["Location"] == reverse("safety:inspection", args=[inspection.pk])
    )
    assert Hazard.objects.count() == 1
    assert inspection.client_key == key


def test_the_form_carries_a_fresh_key_and_works_offline(sw, client_for):
    page = client_for(sw.grid).get(reverse("safety:inspect", args=[sw.market_a.pk]))
    html = page.content.decode()
    assert "data-offline" in html and "js/offline-form.js" in html
    key = page.context["form"].initial["client_key"]
    assert isinstance(key, uuid.UUID) and f'value="{key}"' in html
    second = client_for(sw.grid).get(reverse("safety:inspect", args=[sw.market_a.pk]))
    assert second.context["form"].initial["client_key"] != key


def test_a_file_that_is_not_a_photo_is_refused_and_what_was_typed_is_kept(sw, client_for):
    fake = SimpleUploadedFile("灭火器.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    response = inspect(client_for(sw.grid), sw.market_a, failed=(0,),
                       notes={0: "灭火器压力不足"}, photos={0: fake})  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "灭火器.jpg is not a photo, PDF or Office document." in html
    assert 'value="灭火器压力不足"' in html
    assert "例行检查" in html
    first = items_of(sw.market_a)[0]
    assert response.context["form"][f"item_{first.pk}"].value() == "fail"
    assert not Inspection.objects.exists() and not Hazard.objects.exists()


def test_a_photo_on_a_passed_item_is_kept_with_the_result(sw, client_for):
    png = SimpleUploadedFile("出口.png", photo_bytes(size=(400, 300), fmt="PNG"))
    inspect(client_for(sw.grid), sw.market_a, photos={1: png})
    stored = Photo.objects.get()
    assert stored.result.passed and stored.hazard is None
    response = client_for(sw.director).get(reverse("safety:photo", args=[stored.pk]))
    assert response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.format == "JPEG"


def test_every_item_must_be_answered(sw, client_for):
    data = inspection_post(sw.market_a)
    del data[f"item_{items_of(sw.market_a)[3].pk}"]
    response = client_for(sw.grid).post(reverse("safety:inspect", args=[sw.market_a.pk]), data)
    assert response.status_code == 400 and "Pass or fail?" in response.content.decode()
    assert not Inspection.objects.exists()


def test_who_may_inspect(sw, client_for):
    url = reverse("safety:inspect", args=[sw.market_a.pk])
    assert client_for(sw.desk).get(url).status_code == 403
    assert client_for(sw.safety_staff).get(url).status_code == 200
    assert client_for(sw.director).get(url).status_code == 200


# --- the places register --------------------------------------------------------------------


def test_a_place_is_due_until_inspected_and_again_after_its_frequency(sw, client_for, clock):
    client = client_for(sw.safety_staff)
    due = client.get(reverse("safety:places") + "?due=on").context["page"].object_list
    assert {p.pk for p in due} == {sw.market_a.pk, sw.market_b.pk}
    inspect(client, sw.market_a)
    assert [p.pk for p in client.get(reverse("safety:index")).context["due"]] == [sw.market_b.pk]
    clock(2026, 10, 24, 9, 0)  # thirty days on
    client = client_for(sw.safety_staff)
    assert sw.market_a.pk in {p.pk for p in client.get(reverse("safety:index")).context["due"]}


def test_the_safety_office_adds_and_edits_places_and_grid_workers_only_read(sw, client_for):
    data = {"name": "青石加油站", "place_type": "hazardous", "address": "青石大道88号",
            "jurisdiction": sw.grid_a1.pk, "latitude": "30.01", "longitude": "120.02",
            "organisation": "中石化青石加油站", "contact_name": "站长", "contact_phone": "0571-1",
            "inspection_days": "15", "is_active": "on"}  # fmt: skip
    assert client_for(sw.grid).get(reverse("safety:place_new")).status_code == 403
    assert client_for(sw.grid).post(reverse("safety:place_new"), data).status_code == 403
    assert client_for(sw.grid).get(reverse("safety:places")).status_code == 200
    created = client_for(sw.safety_staff).post(reverse("safety:place_new"), data)
    place = Place.objects.get(name="青石加油站")
    assert created["Location"] == reverse("safety:place", args=[place.pk])
    assert Event.objects.filter(action="safety.place.created", object_id=str(place.pk)).exists()
    place.last_inspected_on = date(2026, 9, 20)
    place.save()
    edited = client_for(sw.director).post(reverse("safety:place_edit", args=[place.pk]),
                                          data | {"inspection_days": "7"})  # fmt: skip
    assert edited.status_code == 302
    place.refresh_from_db()
    assert place.inspection_due_on == date(2026, 9, 27)
    event = Event.objects.get(action="safety.place.updated")
    assert event.changes["inspection_days"] == [15, 7]
    refused = client_for(sw.admin_b).post(reverse("safety:place_new"), data)  # A's grid
    assert refused.status_code == 400
    assert Place.objects.filter(name="青石加油站").count() == 1


def test_the_list_filters_by_type_and_grid(sw, client_for):
    Place.objects.create(name="桂花新苑出租楼", place_type=PlaceType.RENTAL, address="桂花新苑5幢",
                         jurisdiction=sw.grid_a1, organisation="房东委托物业")  # fmt: skip
    client = client_for(sw.director)
    rental = client.get(reverse("safety:places") + "?place_type=rental").context["page"]
    assert [p.name for p in rental.object_list] == ["桂花新苑出租楼"]
    grid_b = client.get(reverse("safety:places") + f"?grid={sw.grid_b1.pk}").context["page"]
    assert [p.name for p in grid_b.object_list] == ["柳岸小商品市场"]


# --- another community sees nothing ----------------------------------------------------------


def test_community_b_can_neither_see_nor_count_community_as_safety_records(sw, client_for):
    w = sw
    inspect(client_for(w.grid), w.market_a, failed=(0,), photos={0: photo()})
    inspection, hazard, picture = (
        Inspection.objects.get(),
        Hazard.objects.get(),
        Photo.objects.get(),
    )
    other = client_for(w.desk_b)
    for url in (
        reverse("safety:place", args=[w.market_a.pk]),
        reverse("safety:place_edit", args=[w.market_a.pk]),
        reverse("safety:inspect", args=[w.market_a.pk]),
        reverse("safety:inspection", args=[inspection.pk]),
        reverse("safety:hazard", args=[hazard.pk]),
        reverse("safety:photo", args=[picture.pk]),
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(reverse("safety:hazard_action", args=[hazard.pk, "rectify"]),
                      {"note": "x"}).status_code == 404  # fmt: skip
    inspector_b = client_for(UserFactory(username="grid_b", role=Role.GRID, jurisdiction=w.grid_b1))
    assert inspect(inspector_b, w.market_a).status_code == 404
    assert Inspection.objects.count() == 1

    places = other.get(reverse("safety:places")).context["page"].object_list
    assert [p.pk for p in places] == [w.market_b.pk]
    assert other.get(reverse("safety:hazards") + "?show=all").context["page"].paginator.count == 0
    landing = other.get(reverse("safety:index")).context
    assert (landing["hazard_count"], landing["overdue_count"]) == (0, 0)
    assert [p.pk for p in landing["due"]] == [w.market_b.pk]
    assert services.open_hazards_geojson(w.desk_b)["features"] == []
    for code in ("inspections", "hazards"):
        sheet = sheet_rows(other.get(f"/ledgers/{code}/export.xlsx", SEPTEMBER))
        assert sheet == [], code
    run_sweep(date(2026, 10, 16))
    assert not Notification.objects.filter(recipient=w.desk_b).exists()
    desk = other.get(reverse("supervision:desk")).content.decode()
    assert 'id="rectifications"' not in desk


# --- the registers -------------------------------------------------------------------------


def sheet_rows(response):
    """The data rows of an exported register (below its title and header lines)."""
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(n for n, row in enumerate(rows) if row and row[0] in (
        "Inspection number", "Hazard number"))  # fmt: skip
    return [row for row in rows[header + 1 :] if any(v not in (None, "") for v in row)]


def test_the_registers_export_one_row_per_inspection_and_per_hazard(sw, client_for, clock):
    w = sw
    client = client_for(w.grid)
    inspect(client, w.market_a, failed=(0, 2))
    clock(2026, 9, 28, 10, 0)
    client = client_for(w.grid)
    inspect(client, w.market_a)
    patrol_hazard(w)
    clock(2026, 10, 8, 10, 0)
    patrol_hazard(w)  # October: outside the period
    reader = client_for(w.director)

    inspections = sheet_rows(reader.get("/ledgers/inspections/export.xlsx", SEPTEMBER))
    assert len(inspections) == 2
    first = inspections[0]
    assert first[2:9] == ["桂花农贸市场", PlaceType.CROWDED.label, "桂花一网格", str(w.grid),
                          len(items_of(w.market_a)), 2, "、".join(
                              Hazard.objects.filter(source="inspection").order_by("pk")
                              .values_list("number", flat=True))]  # fmt: skip
    assert inspections[1][7] == 0

    hazards = sheet_rows(reader.get("/ledgers/hazards/export.xlsx", SEPTEMBER))
    assert len(hazards) == 3
    assert [row[5] for row in hazards] == ["Inspection", "Inspection", "Patrol"]
    open_only = sheet_rows(
        reader.get("/ledgers/hazards/export.xlsx", SEPTEMBER | {"status": "open"})
    )
    assert len(open_only) == 3
    assert reader.get("/ledgers/hazards/", SEPTEMBER).status_code == 200
    assert reader.get("/ledgers/inspections/print/", SEPTEMBER).status_code == 200


# --- the pages ------------------------------------------------------------------------------


def test_the_pages_open_for_staff_and_send_visitors_to_sign_in(sw, client_for):
    w = sw
    inspect(client_for(w.grid), w.market_a, failed=(0,), photos={0: photo()})
    inspection, hazard = Inspection.objects.get(), Hazard.objects.get()
    pages = [
        reverse("safety:index"), reverse("safety:places"), reverse("safety:hazards"),
        reverse("safety:place", args=[w.market_a.pk]), reverse("safety:hazard_new"),
        reverse("safety:inspection", args=[inspection.pk]),
        reverse("safety:hazard", args=[hazard.pk]),
    ]  # fmt: skip
    for user in (w.director, w.grid, w.safety_staff, w.supervisor):
        client = client_for(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)
    for url in pages:
        assert client_for(w.director).get(url).status_code == 200
        assert Client().get(url).status_code == 302
    html = client_for(w.grid).get(reverse("safety:hazard", args=[hazard.pk])).content.decode()
    assert "Record the rectification" in html and "Re-inspect" not in html
    assert reverse("safety:photo", args=[Photo.objects.get().pk]) in html


def test_a_hazard_reported_at_the_office_and_handed_to_another_organisation(sw, client_for):
    client = client_for(sw.safety_staff)
    response = client.post(reverse("safety:hazard_new"), {
        "jurisdiction": sw.grid_a1.pk, "place": sw.market_a.pk,
        "description": "群众来电：市场二楼配电箱冒烟", "responsible_org": "",
    })  # fmt: skip
    hazard = Hazard.objects.get()
    assert response["Location"] == reverse("safety:hazard", args=[hazard.pk])
    assert (hazard.source, hazard.responsible_org) == ("report", "桂花市场管理有限公司")
    url = reverse("safety:hazard_action", args=[hazard.pk, "reassign"])
    assert client_for(sw.grid).post(url, {"responsible_org": "供电所"}).status_code == 403
    assert client.post(url, {"responsible_org": "青石供电所"}).status_code == 302
    hazard.refresh_from_db()
    assert hazard.responsible_org == "青石供电所"
    event = Event.objects.get(action="safety.hazard.reassigned")
    assert event.changes == {"responsible_org": ["桂花市场管理有限公司", "青石供电所"]}
    refused = client_for(sw.desk_b).post(reverse("safety:hazard_new"), {
        "jurisdiction": sw.grid_b1.pk, "place": sw.market_a.pk, "description": "x"})  # fmt: skip
    assert refused.status_code == 400 and Hazard.objects.count() == 1


def test_a_provisional_deadline_is_counted_again_when_the_year_is_published(sw, clock):
    clock(2026, 12, 24, 10, 0)  # 2027's holidays are not published yet
    hazard = patrol_hazard(sw)
    assert (hazard.deadline, hazard.deadline_provisional) == (date(2027, 1, 7), True)
    SpecialDay.objects.create(date=date(2027, 1, 1), is_working=False, name="元旦", source="admin")
    CalendarYear.objects.create(year=2027, source="admin")
    schedule_changed.send(sender=CalendarYear, year=2027)
    hazard.refresh_from_db()
    assert (hazard.deadline, hazard.deadline_provisional) == (date(2027, 1, 8), False)
    assert hazard.events.last().action == "deadline_recomputed"
    assert Event.objects.get(action="safety.hazard.deadline_recomputed").changes == {
        "deadline": ["2027-01-07", "2027-01-08"], "provisional": False}  # fmt: skip


# --- query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["safety:index", "safety:places", "safety:hazards"])
def test_a_list_costs_the_same_queries_for_3_rows_as_for_20(sw, client_for, url):
    def queries_with(n):
        while Hazard.objects.count() < n:
            place = Place.objects.create(name=f"场所{Hazard.objects.count()}", address="x",
                                         place_type="other", jurisdiction=sw.grid_a1,
                                         organisation="某公司")  # fmt: skip
            patrol_hazard(sw, place=place)
        client = client_for(sw.director)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url)).status_code == 200
        return len(queries)

    assert queries_with(3) == queries_with(20)


def test_the_steps_refuse_a_hazard_outside_the_actors_jurisdiction(sw):
    hazard = patrol_hazard(sw)
    grid_b = UserFactory(username="grid_b", role=Role.GRID, jurisdiction=sw.grid_b1)
    with pytest.raises(NotAllowed):
        services.record_rectification(hazard, actor=grid_b, note="已修复")
    services.record_rectification(hazard, actor=sw.grid, note="已修复")
    safety_b = UserFactory(username="safety_b", role=Role.UNIT, jurisdiction=sw.community_b,
                           unit=sw.safety)  # fmt: skip
    with pytest.raises(NotAllowed):
        services.reinspect(hazard, actor=safety_b, passed=True)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFIED
