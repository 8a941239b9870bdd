"""Open311 GeoReport v2 at /open311/v2/: every endpoint in XML and JSON, errors, round trip.

XML answers are read back with ElementTree and mapped to plain data the way the
specification maps XML to JSON (the Spark convention), so each test checks one shape and
both formats are shown to carry the same data.
"""

import io
import json
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own answers in tests
from datetime import timedelta
from importlib import import_module
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from yimen.cases import workflow as wf
from yimen.cases.models import Case, CaseEvent, Category, Complexity, Status
from yimen.open311.keys import issue_key
from yimen.open311.models import Open311Client, Open311Request, Open311Update
from yimen.org.models import Role

from .factories import UserFactory

BASE = "/open311/v2"
FORMATS = ["xml", "json"]
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# XML containers and the element of each of their items (GeoReport v2, mySociety updates).
CONTAINERS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "media_urls": "media_url",
}
INSIDE = {"lat": "30.05", "long": "120.05"}  # in community A's boundary
OUTSIDE = {"lat": "31.5", "long": "121.5"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def spark(element: ET.Element):
    """An XML element as the specification's JSON mapping would have it."""
    if element.tag in CONTAINERS:
        item = CONTAINERS[element.tag]
        assert all(child.tag == item for child in element), element.tag
        return [spark(child) for child in element]
    if len(element):
        return {child.tag: spark(child) for child in element}
    return element.text


def as_text(value):
    """JSON values as XML carries them: every scalar a string, booleans true/false."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def read(response, fmt, status=200, root=None):
    """The body as plain data, after checking status, content type and XML root element."""
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        return response.json()
    text = response.content.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    element = ET.fromstring(response.content)  # noqa: S314
    if root:
        assert element.tag == root
    return spark(element)


def assert_errors(response, fmt, status):
    errors = read(response, fmt, status, root="errors")
    assert isinstance(errors, list) and errors
    for error in errors:
        assert set(error) == {"code", "description"} and error["description"]
        assert str(error["code"]) == str(status)
    return " ".join(e["description"] for e in errors)


class Open311:
    """A client of the endpoint, posting form-encoded bodies as the specification says."""

    def __init__(self, key: str | None, language: str = "en"):
        self.key = key
        self.client = Client(headers={"Accept-Language": language})

    def get(self, path, **params):
        return self.client.get(BASE + path, params)

    def post(self, path, data=(), *, key=True, files=None):
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if key and self.key is not None:
            items.append(("api_key", self.key))
        if files:
            return self.client.post(BASE + path, {**dict(items), **files})
        return self.client.post(
            BASE + path, urlencode(items), content_type="application/x-www-form-urlencoded"
        )


@pytest.fixture
def o311(cases_world):
    """The Open311 client "fixmystreet" with its key, and the seeded service definitions."""
    import_module("yimen.open311.migrations.0002_default_attributes").seed(apps, None)
    cases_world.key = issue_key("fixmystreet")
    cases_world.fms = Open311(cases_world.key)
    cases_world.anonymous = Open311(None)
    return cases_world


def hazard(**extra):
    data = {
        "service_code": "hazard",
        **INSIDE,
        "description": "楼道里堆满纸箱，挡住了消防通道。",
        "first_name": "芳",
        "last_name": "王",
        "phone": "13812345678",
        "email": "wang@example.com",
        "attribute[danger_now]": "no",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def submit(o311, fmt="json", **extra) -> Case:
    response = o311.fms.post(f"/requests.{fmt}", hazard(**extra))
    [item] = read(response, fmt, root="service_requests")
    return Case.objects.get(receipt_number=item["service_request_id"])


# --- discovery and services ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_both_formats(o311, fmt):
    for url in (f"/open311/discovery.{fmt}", f"{BASE}/discovery.{fmt}"):
        data = read(Client().get(url), fmt, root="discovery")
        assert data["changeset"] and data["contact"] and data["key_service"]
        [endpoint] = data["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_active_categories_less_staff_complaints(o311, fmt):
    Category.objects.filter(code="labour").update(is_active=False)
    services = read(o311.anonymous.get(f"/services.{fmt}"), fmt, root="services")
    by_code = {s["service_code"]: s for s in services}
    assert "hazard" in by_code and "neighbour" in by_code
    assert "staff_complaint" not in by_code and "labour" not in by_code
    assert as_text(by_code["hazard"]["metadata"]) == "true"
    assert as_text(by_code["neighbour"]["metadata"]) == "false"
    assert by_code["hazard"]["type"] == "realtime"
    assert by_code["hazard"]["service_name"] == "Safety hazard"
    assert set(by_code["hazard"]) == {
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"
    }  # fmt: skip


def test_service_names_follow_the_language(o311):
    services = Open311(None, "zh-hans").get("/services.json").json()
    assert {"service_code": "hazard", "service_name": "安全隐患"}.items() <= next(
        s for s in services if s["service_code"] == "hazard"
    ).items()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_attributes(o311, fmt):
    definition = read(o311.anonymous.get(f"/services/hazard.{fmt}"), fmt, root="service_definition")
    assert definition["service_code"] == "hazard"
    by_code = {a["code"]: a for a in definition["attributes"]}
    assert [a["code"] for a in definition["attributes"]] == [
        "emergency", "danger_now", "first_noticed"
    ]  # fmt: skip
    danger = as_text(by_code["danger_now"])
    assert danger["datatype"] == "singlevaluelist"
    assert danger["required"] == "true" and danger["variable"] == "true"
    assert danger["order"] == "2"
    assert danger["description"] == "Is anyone in danger now?"
    assert danger["values"] == [
        {"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"},
        {"key": "unsure", "name": "Not sure"},
    ]  # fmt: skip
    assert as_text(by_code["emergency"]["variable"]) == "false"
    assert "110" in by_code["emergency"]["description"]
    assert "values" not in by_code["first_noticed"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_without_questions_has_an_empty_definition(o311, fmt):
    definition = read(o311.anonymous.get(f"/services/neighbour.{fmt}"), fmt)
    assert definition == {"service_code": "neighbour", "attributes": []}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("code", ["nope", "staff_complaint"])
def test_an_unknown_service_definition_is_404(o311, fmt, code):
    assert code in assert_errors(o311.anonymous.get(f"/services/{code}.{fmt}"), fmt, 404)


# --- POST requests -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_becomes_an_online_case_through_the_portal_intake(o311, fmt):
    response = o311.fms.post(f"/requests.{fmt}", hazard())
    [item] = read(response, fmt, root="service_requests")
    assert set(item) == {"service_request_id", "service_notice"}  # no token: realtime
    case = Case.objects.get()
    assert item["service_request_id"] == case.receipt_number
    assert case.receipt_number in item["service_notice"]
    assert "http://testserver/track/" in item["service_notice"]
    assert case.channel == "online" and case.received_by is None
    assert case.status == Status.REGISTERED and case.category.code == "hazard"
    assert case.jurisdiction == o311.community_a
    assert str(case.latitude) == "30.050000" and str(case.longitude) == "120.050000"
    assert case.title == "楼道里堆满纸箱，挡住了消防通道。"
    assert case.description.startswith("楼道里堆满纸箱")
    assert "Is anyone in danger now?: No" in case.description
    [party] = case.parties.all()
    assert (party.name, party.role, party.phone) == ("王芳", "applicant", "13812345678")
    registered = case.events.get(action="registered")
    assert registered.data == {"channel": "online", "source": "open311"}
    request = Open311Request.objects.get(case=case)
    assert request.client.name == "fixmystreet" and request.token
    assert request.answers == [
        {"code": "danger_now", "label": "Is anyone in danger now?", "value": "no", "name": "No"}
    ]
    assert case in Case.objects.for_user(o311.director)  # waits in the routing queue


def test_every_kind_of_answer_is_checked_and_kept(o311):
    data = [
        ("service_code", "environment"), ("lat", "30.05"), ("long", "120.05"),
        ("description", "河边有人倾倒垃圾"), ("phone", "13812345678"),
        ("attribute[kinds][]", "garbage"), ("attribute[kinds][]", "smell"),
        ("attribute[unknown]", "ignored"),
    ]  # fmt: skip
    assert o311.fms.post("/requests.json", data).status_code == 200
    answers = Open311Request.objects.get().answers
    assert answers == [{"code": "kinds", "label": "What is the problem? (choose all that apply)",
                        "value": "garbage,smell", "name": "Rubbish piling up, Smell"}]  # fmt: skip
    urban = {
        "service_code": "urban", **INSIDE, "description": "路灯不亮", "phone": "13812345678",
        "attribute[facility]": "light", "attribute[people_affected]": "120",
    }  # fmt: skip
    assert o311.fms.post("/requests.json", urban).status_code == 200
    assert [a["value"] for a in Open311Request.objects.order_by("-pk")[0].answers] == [
        "light", "120"
    ]  # fmt: skip
    moment = hazard(**{"attribute[first_noticed]": "2026-09-28T08:00:00Z"})
    assert o311.fms.post("/requests.json", moment).status_code == 200
    answers = Open311Request.objects.order_by("-pk")[0].answers
    assert answers[1]["value"] == "2026-09-28T16:00:00+08:00"


def test_a_western_name_keeps_its_order_and_the_email_is_not_kept(o311):
    case = submit(o311, first_name="John", last_name="Smith")
    assert case.parties.get().name == "John Smith"
    assert "wang@example.com" not in json.dumps(
        [list(Case.objects.values()), list(Open311Request.objects.values())], default=str
    )


def test_fixmystreet_descriptions_give_their_title(o311):
    text = "title: Blocked fire exit\n\ndetail: Boxes everywhere\n\nurl: https://fms.example/1"
    assert submit(o311, description=text).title == "Blocked fire exit"
    long = "很长的描述" * 30
    assert submit(o311, description=long).title == long[:59] + "…"


def test_an_address_alone_goes_to_the_configured_jurisdiction(o311, settings):
    data = hazard(lat=None, long=None, address_string="桂花路 12 号")
    assert_errors(o311.fms.post("/requests.json", data), "json", 400)
    settings.YIMEN_OPEN311_DEFAULT_JURISDICTION = "CB"
    case = submit(o311, lat="", long="", address_string="桂花路 12 号")
    assert case.jurisdiction == o311.community_b and case.address == "桂花路 12 号"
    assert case.latitude is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_media_urls_are_kept_as_links_and_uploads_as_checked_attachments(
    o311, fmt, settings, tmp_path
):
    case = submit(o311, fmt, media_url="https://fms.example/photo/1.jpeg")
    assert Open311Request.objects.get(case=case).media_urls == ["https://fms.example/photo/1.jpeg"]
    assert "https://fms.example/photo/1.jpeg" in case.description
    assert not case.attachments.exists()
    settings.MEDIA_ROOT = str(tmp_path)
    photo = SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg")
    response = o311.fms.post(f"/requests.{fmt}", hazard(), files={"media": photo})
    [item] = read(response, fmt)
    attachment = Case.objects.get(receipt_number=item["service_request_id"]).attachments.get()
    assert attachment.content_type == "image/jpeg" and attachment.uploaded_by is None


# --- POST requests: refusals, and nothing half-created ---------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_needs_a_valid_api_key(o311, fmt):
    assert "api_key" in assert_errors(o311.anonymous.post(f"/requests.{fmt}", hazard()), fmt, 403)
    empty = o311.anonymous.post(f"/requests.{fmt}", {**hazard(), "api_key": ""})
    assert_errors(empty, fmt, 403)
    wrong = Open311("o311_" + "x" * 43).post(f"/requests.{fmt}", hazard())
    assert "api_key" in assert_errors(wrong, fmt, 403)
    call_command("open311_key", "fixmystreet", "--revoke", stderr=io.StringIO())
    assert_errors(o311.fms.post(f"/requests.{fmt}", hazard()), fmt, 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_service_code_is_400_and_an_unknown_one_404(o311, fmt):
    assert "service_code" in assert_errors(
        o311.fms.post(f"/requests.{fmt}", hazard(service_code="")), fmt, 400
    )
    assert "nope" in assert_errors(
        o311.fms.post(f"/requests.{fmt}", hazard(service_code="nope")), fmt, 404
    )
    assert_errors(o311.fms.post(f"/requests.{fmt}", hazard(service_code="staff_complaint")),
                  fmt, 404)  # fmt: skip
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "change, words",
    [
        ({"lat": None, "long": None}, "location"),
        ({"long": None}, "lat and long"),
        ({"lat": "north", "long": "120.05"}, "lat"),
        ({"lat": "95", "long": "120.05"}, "lat"),
        (OUTSIDE, "outside"),
        ({"lat": None, "long": None, "address_id": "123"}, "address_id"),
        ({"description": "   "}, "description"),
        ({"description": "长" * 4001}, "4000"),
        ({"phone": ""}, "phone"),
        ({"phone": "1" * 33}, "phone"),
        ({"attribute[danger_now]": ""}, "attribute[danger_now]"),
        ({"attribute[danger_now]": "maybe"}, "attribute[danger_now]"),
        ({"attribute[first_noticed]": "yesterday"}, "attribute[first_noticed]"),
        ({"attribute[first_noticed]": "2026-09-28T08:00:00"}, "attribute[first_noticed]"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_request_is_400_and_leaves_nothing_behind(o311, fmt, change, words):
    text = assert_errors(o311.fms.post(f"/requests.{fmt}", hazard(**change)), fmt, 400)
    assert words in text
    assert not Case.objects.exists() and not Open311Request.objects.exists()
    assert not CaseEvent.objects.exists()


def test_every_problem_is_listed_at_once(o311):
    data = hazard(description="", **{"attribute[danger_now]": "maybe"}, media_url="nope", **OUTSIDE)
    errors = o311.fms.post("/requests.json", data).json()
    text = " ".join(e["description"] for e in errors)
    assert len(errors) == 4
    assert all(w in text for w in ("outside", "description", "danger_now", "media_url"))


def test_an_oversized_body_is_400(o311, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = o311.fms.post("/requests.xml", hazard(description="长" * 2000))
    assert "too large" in assert_errors(response, "xml", 400)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_oversized_or_unknown_upload_is_400_and_nothing_is_stored(o311, fmt, settings):
    settings.YIMEN_UPLOAD_MAX_BYTES = 50
    big = SimpleUploadedFile("big.jpg", JPEG, content_type="image/jpeg")
    text = assert_errors(o311.fms.post(f"/requests.{fmt}", hazard(), files={"media": big}),
                         fmt, 400)  # fmt: skip
    assert "media" in text and "big.jpg" in text
    settings.YIMEN_UPLOAD_MAX_BYTES = 10_000
    fake = SimpleUploadedFile("x.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    assert_errors(o311.fms.post(f"/requests.{fmt}", hazard(), files={"media": fake}), fmt, 400)
    assert not Case.objects.exists()


# --- GET requests --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_show_status_in_both_formats_with_string_ids_and_offsets(o311, fmt):
    case = submit(o311)
    [item] = read(o311.anonymous.get(f"/requests.{fmt}"), fmt, root="service_requests")
    assert item["service_request_id"] == case.receipt_number
    assert item["status"] == "open" and item["status_notes"] == "Registered"
    assert item["service_code"] == "hazard" and item["service_name"] == "Safety hazard"
    assert item["requested_datetime"].endswith("+08:00")
    assert item["requested_datetime"] == timezone.localtime(case.received_at).isoformat(
        timespec="seconds"
    )
    assert item["updated_datetime"].endswith("+08:00")
    assert item["agency_responsible"] is None and item["expected_datetime"] is None
    assert as_text(item["lat"]) == "30.05" and as_text(item["long"]) == "120.05"
    assert item["description"].startswith("楼道里堆满纸箱")
    if fmt == "json":
        assert isinstance(item["service_request_id"], str)
    assert list(item) == [
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
        "lat", "long", "media_url",
    ]  # fmt: skip


def test_xml_and_json_carry_the_same_data(o311):
    case = submit(o311, media_url="https://fms.example/1.jpg")
    for path in ("/services", "/services/hazard", "/requests", f"/requests/{case.receipt_number}",
                 "/servicerequestupdates", "/discovery"):  # fmt: skip
        xml = read(o311.anonymous.get(path + ".xml", extensions="true"), "xml")
        assert xml == as_text(o311.anonymous.get(path + ".json", extensions="true").json()), path


def test_text_is_escaped_in_xml(o311):
    submit(o311, description='<b>门 & 窗</b>\x07 ]]> "引号"')
    [item] = read(o311.anonymous.get("/requests.xml"), "xml")
    assert item["description"].startswith('<b>门 & 窗</b> ]]> "引号"')


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_single_request_is_still_a_list_of_one(o311, fmt):
    case = submit(o311)
    items = read(o311.anonymous.get(f"/requests/{case.receipt_number}.{fmt}"), fmt,
                 root="service_requests")  # fmt: skip
    assert [i["service_request_id"] for i in items] == [case.receipt_number]
    assert "YM-1999" in assert_errors(o311.anonymous.get(f"/requests/YM-1999.{fmt}"), fmt, 404)


def test_only_requests_that_came_through_open311_are_shown(o311):
    desk_case = wf.register_case(
        actor=o311.desk, title="邻里纠纷", description="楼上漏水", category=Category.objects.get(
            code="neighbour"), channel="visit", jurisdiction=o311.community_a,
        parties=[wf.NewParty("李四", "applicant", "13900000000")],
    ).case  # fmt: skip
    submit(o311)
    ids = [i["service_request_id"] for i in o311.anonymous.get("/requests.json").json()]
    assert desk_case.receipt_number not in ids and len(ids) == 1
    assert_errors(o311.anonymous.get(f"/requests/{desk_case.receipt_number}.json"), "json", 404)
    every = o311.anonymous.get("/requests.json", service_request_id=desk_case.receipt_number)
    assert every.json() == []


def test_no_personal_data_is_ever_shown(o311):
    case = submit(o311, address_string="桂花路 12 号")
    wf.add_public_note(case, source="open311", text="还没人来处理")
    bodies = ""
    for path in ("/requests", f"/requests/{case.receipt_number}", "/servicerequestupdates"):
        for fmt in FORMATS:
            for key in ("", o311.key):
                response = o311.anonymous.get(f"{path}.{fmt}", extensions="true", api_key=key)
                bodies += response.content.decode()
    assert "桂花路 12 号" in bodies  # the place of a hazard is public
    for personal in ("13812345678", "王芳", "wang@example.com", "王", "5678"):
        assert personal not in bodies


def test_a_disputes_account_is_shown_only_to_the_client_that_sent_it(o311):
    data = {"service_code": "neighbour", **INSIDE, "description": "楼上张三家漏水",
            "phone": "13812345678", "address_string": "桂花路 12 号"}  # fmt: skip
    [item] = o311.fms.post("/requests.json", data).json()
    other = Open311(issue_key("another-app"))
    for client in (o311.anonymous, other):
        [seen] = client.get("/requests.json", extensions="true").json()
        assert seen["description"] is None and seen["address"] is None
        assert seen["lat"] is None and seen["attributes"] == []
        assert "张三" not in json.dumps(seen, ensure_ascii=False)
        assert seen["status"] == "open"  # the state of it is public
    [own] = o311.fms.get("/requests.json", api_key=o311.key).json()
    assert own["description"] == "楼上张三家漏水" and own["address"] == "桂花路 12 号"
    assert item["service_request_id"] == own["service_request_id"]


def test_filters_default_window_and_override(o311):
    old, closed, other = submit(o311), submit(o311), submit(o311)
    Case.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=100))
    Case.objects.filter(pk=closed.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    Case.objects.filter(pk=other.pk).update(category=Category.objects.get(code="urban"))

    def ids(**params):
        return {i["service_request_id"] for i in o311.anonymous.get("/requests.json",
                                                                     **params).json()}  # fmt: skip

    n_old, n_closed, n_other = old.receipt_number, closed.receipt_number, other.receipt_number
    assert ids() == {n_closed, n_other}  # the most recent 90 days
    assert ids(status="closed") == {n_closed}
    assert ids(status="open") == {n_other}
    assert ids(status="open,closed") == {n_closed, n_other}
    assert ids(service_code="urban") == {n_other}
    assert ids(service_code="hazard,urban") == {n_closed, n_other}
    start = (timezone.localdate() - timedelta(days=120)).isoformat()
    end = (timezone.localdate() - timedelta(days=50)).isoformat()
    assert ids(start_date=start, end_date=end) == {n_old}
    assert ids(end_date=end) == {n_old}
    # service_request_id overrides every other argument, dates and status included.
    assert ids(service_request_id=f"{n_old},{n_closed}", status="open", service_code="urban") == {
        n_old, n_closed
    }  # fmt: skip


def test_an_empty_parameter_is_an_absent_one(o311):
    submit(o311)
    plain = o311.anonymous.get("/requests.json").json()
    empty = o311.anonymous.get(
        "/requests.json", service_request_id="", service_code="", status="", start_date="",
        end_date="", page="", page_size="", extensions="", api_key="", jurisdiction_id="",
    ).json()  # fmt: skip
    assert empty == plain and len(plain) == 1


@pytest.mark.parametrize(
    "params, words",
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "last week"}, "start_date"),
        ({"end_date": "2026-09-01T00:00:00"}, "end_date"),  # no offset
        ({"start_date": "2026-06-01", "end_date": "2026-09-30"}, "90 days"),
        ({"start_date": "2026-09-30", "end_date": "2026-09-01"}, "after"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"api_key": "wrong"}, "api_key"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_query_parameters_are_400_or_403(o311, fmt, params, words):
    status = 403 if "api_key" in params else 400
    assert words in assert_errors(o311.anonymous.get(f"/requests.{fmt}", **params), fmt, status)


def test_dates_take_offsets_z_and_an_unencoded_plus(o311):
    case = submit(o311)
    day = timezone.localdate().isoformat()
    # Midnight UTC of the day before: before the case at any hour of the local day.
    utc_before = (timezone.localdate() - timedelta(days=1)).isoformat()
    for start in (f"{day}T00:00:00+08:00", f"{day}T00:00:00 08:00", f"{utc_before}T00:00:00Z", day):
        found = o311.anonymous.get("/requests.json", start_date=start).json()
        assert [i["service_request_id"] for i in found] == [case.receipt_number], start


def test_pages_of_requests(o311):
    numbers = [submit(o311).receipt_number for _ in range(3)]
    first = o311.anonymous.get("/requests.json", page_size="2").json()
    second = o311.anonymous.get("/requests.json", page_size="2", page="2").json()
    assert [i["service_request_id"] for i in first + second] == numbers[::-1]
    assert o311.anonymous.get("/requests.json", page="3", page_size="2").json() == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_answers_yimen_state_and_public_notes(o311, fmt):
    case = submit(o311, media_url="https://fms.example/1.jpg")
    [item] = read(o311.anonymous.get(f"/requests.{fmt}", extensions="true"), fmt)
    assert item["attributes"] == [
        {"code": "danger_now", "label": "Is anyone in danger now?", "value": "no", "name": "No"}
    ]
    extended = item["extended_attributes"]
    assert extended["status"] == "registered" and extended["status_label"] == "Registered"
    assert extended["jurisdiction"] == o311.community_a.name
    assert extended["media_urls"] == ["https://fms.example/1.jpg"]
    assert [n["type"] for n in item["notes"]] == ["registered"]
    assert item["notes"][0]["datetime"].endswith("+08:00")
    assert item["media_url"] == "https://fms.example/1.jpg"
    [plain] = read(o311.anonymous.get(f"/requests/{case.receipt_number}.{fmt}"), fmt)
    assert "notes" not in plain and "extended_attributes" not in plain


def test_a_page_of_requests_costs_the_same_queries_however_long(o311, django_assert_num_queries):
    submit(o311)
    with django_assert_num_queries(2):  # the cases, then all their public notes
        assert len(o311.anonymous.get("/requests.json", extensions="true").json()) == 1
    submit(o311), submit(o311)
    with django_assert_num_queries(2):
        assert len(o311.anonymous.get("/requests.xml", extensions="true").content) > 0
    with django_assert_num_queries(1):
        assert len(o311.anonymous.get("/servicerequestupdates.json").json()) == 3


# --- tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_leads_to_its_request(o311, fmt):
    case = submit(o311)
    token = case.open311.token
    items = read(o311.anonymous.get(f"/tokens/{token}.{fmt}"), fmt, root="service_requests")
    assert items == [{"service_request_id": case.receipt_number, "token": token}]
    assert "nope" in assert_errors(o311.anonymous.get(f"/tokens/nope.{fmt}"), fmt, 404)


# --- the round trip ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_posted_routed_closed_and_seen_closed(o311, fmt):
    [posted] = read(o311.fms.post(f"/requests.{fmt}", hazard()), fmt)
    number = posted["service_request_id"]
    case = Case.objects.get(receipt_number=number)

    unit = wf.suggestion_for(case).unit
    assert unit == o311.safety
    staff = UserFactory(username="safety", role=Role.UNIT, jurisdiction=o311.street, unit=unit)
    wf.route_case(case, actor=o311.director, unit=unit, complexity=Complexity.GENERAL)
    [routed] = read(o311.anonymous.get(f"/requests/{number}.{fmt}"), fmt)
    assert routed["status"] == "open" and routed["status_notes"] == "Assigned"
    assert routed["agency_responsible"] == unit.name
    case.refresh_from_db()
    assert routed["expected_datetime"] == f"{case.deadline.isoformat()}T23:59:59+08:00"

    wf.accept_case(case, actor=staff)
    wf.submit_result(case, actor=staff, result="纸箱已清走，通道畅通。")
    [resolved] = read(o311.anonymous.get(f"/requests/{number}.{fmt}"), fmt)
    assert resolved["status"] == "open" and resolved["status_notes"] == "Resolved"
    wf.close_case(case, actor=o311.director)
    case.refresh_from_db()

    [closed] = read(o311.anonymous.get(f"/requests/{number}.{fmt}"), fmt)
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "Closed: 纸箱已清走，通道畅通。"
    assert closed["agency_responsible"] == unit.name
    assert closed["updated_datetime"] == timezone.localtime(case.closed_at).isoformat(
        timespec="seconds"
    )
    listed = read(o311.anonymous.get(f"/requests.{fmt}", status="closed"), fmt)
    assert [i["service_request_id"] for i in listed] == [number]

    updates = read(o311.fms.get(f"/servicerequestupdates.{fmt}"), fmt)
    assert [(u["external_status_code"], u["status"]) for u in updates] == [
        ("registered", "open"), ("routed", "open"), ("accepted", "open"),
        ("resolved", "open"), ("closed", "closed"),
    ]  # fmt: skip
    assert updates[1]["description"].startswith(f"Assigned: {unit.name}")


def test_a_transferred_request_is_closed_and_says_where_it_went(o311):
    case = submit(o311)
    wf.transfer_out(case, actor=o311.director, to_body="区应急管理局",
                    note_for_resident="请向区应急管理局咨询")  # fmt: skip
    [item] = o311.anonymous.get(f"/requests/{case.receipt_number}.json").json()
    assert item["status"] == "closed" and item["agency_responsible"] == "区应急管理局"
    assert item["status_notes"] == "Transferred out: 区应急管理局"


# --- servicerequestupdates -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_update_feed_lists_public_timeline_entries(o311, fmt):
    case = submit(o311)
    updates = read(o311.fms.get(f"/servicerequestupdates.{fmt}", api_key=o311.key), fmt,
                   root="service_request_updates")  # fmt: skip
    [update] = updates
    event = case.events.get(action="registered")
    assert update == {
        "update_id": str(event.pk),
        "service_request_id": case.receipt_number,
        "status": "open",
        "updated_datetime": timezone.localtime(event.at).isoformat(timespec="seconds"),
        "description": "Registered",
        "media_url": None,
        "external_status_code": "registered",
    }
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert read(o311.fms.get(f"/servicerequestupdates.{fmt}", start_date=later), fmt) == []
    assert "90 days" in assert_errors(
        o311.fms.get(f"/servicerequestupdates.{fmt}", start_date="2026-01-01",
                     end_date="2026-12-31"), fmt, 400)  # fmt: skip


def test_the_update_feed_leaves_out_private_entries(o311, settings):
    case = submit(o311)
    unit = wf.suggestion_for(case).unit
    staff = UserFactory(username="safety", role=Role.UNIT, jurisdiction=o311.street, unit=unit)
    wf.route_case(case, actor=o311.director, unit=unit, complexity=Complexity.GENERAL)
    wf.accept_case(case, actor=staff)
    wf.record_action(case, actor=staff, kind="call", note="内部记录", public=False)
    feed = o311.fms.get("/servicerequestupdates.json").json()
    assert [u["external_status_code"] for u in feed] == ["registered", "routed", "accepted"]
    assert "内部记录" not in json.dumps(feed, ensure_ascii=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_posts_a_public_note_once_per_update_id(o311, fmt):
    case = submit(o311)
    data = {"service_request_id": case.receipt_number, "update_id": "fms-77",
            "status": "OPEN", "updated_datetime": "2026-09-28T10:00:00Z",
            "description": "纸箱还在，越堆越多了", "first_name": "芳", "last_name": "王",
            "email": "wang@example.com"}  # fmt: skip
    [answer] = read(o311.fms.post(f"/servicerequestupdates.{fmt}", data), fmt,
                    root="service_request_updates")  # fmt: skip
    note = case.events.get(action="public_note")
    assert answer == {"update_id": str(note.pk)}
    assert note.is_public and note.actor is None and note.note == "纸箱还在，越堆越多了"
    assert note.data == {
        "source": "open311",
        "client": "fixmystreet",
        "update_id": "fms-77",
        "status": "open",
        "updated_datetime": "2026-09-28T18:00:00+08:00",
    }
    assert "wang" not in json.dumps(note.data)
    case.refresh_from_db()
    assert case.status == Status.REGISTERED  # a client's status changes nothing

    again = read(o311.fms.post(f"/servicerequestupdates.{fmt}", data), fmt)
    assert again == [answer] and case.events.filter(action="public_note").count() == 1
    feed = read(o311.anonymous.get(f"/servicerequestupdates.{fmt}"), fmt)
    assert [u["update_id"] for u in feed][-1] == answer["update_id"]
    assert feed[-1]["description"] == "Note from the resident\n纸箱还在，越堆越多了"


@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"description": ""}, 400, "description"),
        ({"service_request_id": ""}, 400, "service_request_id"),
        ({"service_request_id": "YM-1999-000001"}, 404, "YM-1999-000001"),
        ({"status": "SOLVED"}, 400, "status"),
        ({"updated_datetime": "yesterday"}, 400, "updated_datetime"),
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "o311_wrong"}, 403, "api_key"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_update_is_refused_and_adds_nothing(o311, fmt, change, status, words):
    case = submit(o311)
    data = {"service_request_id": case.receipt_number, "description": "还在", **change}
    client = o311.fms if "api_key" not in change else o311.anonymous
    assert words in assert_errors(client.post(f"/servicerequestupdates.{fmt}", data), fmt, status)
    assert not case.events.filter(action="public_note").exists()


def test_a_client_cannot_add_notes_to_another_clients_request(o311):
    case = submit(o311)
    other = Open311(issue_key("another-app"))
    data = {"service_request_id": case.receipt_number, "description": "hello"}
    assert_errors(other.post("/servicerequestupdates.json", data), "json", 404)
    data["update_id"] = "1"
    o311.fms.post("/servicerequestupdates.json", data)
    second = submit(o311)
    data["service_request_id"] = second.receipt_number
    assert "update_id" in assert_errors(
        o311.fms.post("/servicerequestupdates.json", data), "json", 400
    )
    assert Open311Update.objects.count() == 1


def test_add_public_note_is_on_the_timeline_and_keeps_the_version(o311):
    case = submit(o311)
    version = case.version
    event = wf.add_public_note(case, source="open311", text="  补充：楼梯间也有  ")
    case.refresh_from_db()
    assert (event.action, event.is_public, event.note) == ("public_note", True, "补充：楼梯间也有")
    assert event.data == {"source": "open311"} and event.to_status == case.status
    assert case.version == version  # a director acting now is not refused because of it
    from yimen.audit.models import Event

    assert Event.objects.filter(action="cases.case.public_note", object_id=str(case.pk)).exists()
    with pytest.raises(wf.Invalid):
        wf.add_public_note(case, source="open311", text=" ")


# --- keys, methods, addresses --------------------------------------------------------------


def test_open311_key_prints_one_line_that_works_and_replaces_the_old_key(o311):
    out = io.StringIO()
    call_command("open311_key", "city-app", stdout=out)
    [key] = out.getvalue().splitlines()
    assert Open311(key).post("/requests.json", hazard()).status_code == 200
    assert Open311Request.objects.get().client.name == "city-app"
    assert key not in json.dumps(list(Open311Client.objects.values()), default=str)
    call_command("open311_key", "city-app", stdout=io.StringIO())
    assert_errors(Open311(key).post("/requests.json", hazard()), "json", 403)
    with pytest.raises(CommandError):
        call_command("open311_key", "nobody", "--revoke", stderr=io.StringIO())


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_methods_and_unknown_addresses_answer_in_the_format(o311, fmt):
    response = o311.fms.post(f"/services.{fmt}", {})
    assert_errors(response, fmt, 400)
    assert response["Allow"] == "GET, HEAD"
    assert_errors(Client().delete(f"{BASE}/requests.{fmt}"), fmt, 400)
    assert_errors(Client().get(f"{BASE}/nothing.{fmt}"), fmt, 404)
    assert_errors(Client().get("/open311/v3/services.xml"), "xml", 404)
