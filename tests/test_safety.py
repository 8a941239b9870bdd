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
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from PIL import Image

from yimen.audit.models import Event
from yimen.cases.workflow import Invalid, NotAllowed
from yimen.notices.models import Notification, NoticeKind
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
from yimen.workdays.services import load_calendar

from .factories import UserFactory
from .portal_support import photo, photo_bytes

TZ = ZoneInfo("Asia/Shanghai")
SEPTEMBER = {"start": "2026-09-01", "end": "2026-09-30"}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


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
    data = {"client_key": str(key or uuid.uuid4()), "inspected_at": "2026-09-24T09:30",
            "note": "例行检查"}  # fmt: skip
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
    rental_topics = set(ChecklistItem.objects.filter(place_type="rental").values_list("topic", flat=True))
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


def test_report_hazard_refuses_what_it_must(sw):
    with pytest.raises(NotAllowed):
        patrol_hazard(sw, jurisdiction=sw.grid_b1)
    with pytest.raises(NotAllowed):
        patrol_hazard(sw, place=sw.market_b)
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
