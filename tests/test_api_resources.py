"""The REST API's resources beyond a single case: reference data, files, paging, ordering,
ETags and If-Match, the rate limit, odd input, and the OpenAPI document."""

import io
import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from yimen.api.tokens import issue_token
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category, Status
from yimen.org.models import UnitKind

from .factories import UnitFactory
from .test_api import BASE, PDF, Api, assert_error, new_case, register

LIST_KEYS = {"items", "count", "page", "pages", "limit", "next", "previous"}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.YIMEN_API_RATE = ""
    cache.clear()


@pytest.fixture
def api(cases_world):
    def make(user, language=None):
        return Api(issue_token(user), language)

    return make


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, case_id, name="证据.pdf", content=PDF, kind="general"):
    data = io.BytesIO(content)
    data.name = name
    return client.client.post(f"{BASE}/cases/{case_id}/attachments", {"file": data, "kind": kind})


def get(client, path, headers=None, **params):
    return client.client.get(BASE + path, params, headers=headers or {})


# --- paging ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/cases", "/categories", "/jurisdictions", "/units", "/cases/{id}/timeline",
             "/cases/{id}/attachments"],
)  # fmt: skip
def test_every_list_has_the_same_paging(api, cases_world, path):
    case = register(cases_world)
    client = api(cases_world.director)
    body = client.get(path.format(id=case.pk)).json()
    assert set(body) == LIST_KEYS
    assert body["page"] == 1 and body["limit"] == 20 and body["pages"] >= 1
    assert_error(client.get(path.format(id=case.pk), limit=101), 400, field="limit")
    assert_error(client.get(path.format(id=case.pk), page=0), 400, field="page")


def test_pages_link_to_each_other(api, cases_world):
    for n in range(5):
        register(cases_world, title=f"事项{n}")
    client = api(cases_world.desk)
    middle = client.get("/cases", limit=2, page=2, channel="call").json()
    assert (middle["count"], middle["pages"], len(middle["items"])) == (5, 3, 2)
    assert middle["next"].startswith("http://testserver/api/v1/cases?")
    assert "page=3" in middle["next"] and "channel=call" in middle["next"]
    assert "page=1" in middle["previous"] and "limit=2" in middle["previous"]
    # Past the end: nothing, and the way back is to the last page.
    beyond = client.get("/cases", limit=2, page=7).json()
    assert beyond["items"] == [] and beyond["next"] is None and "page=3" in beyond["previous"]
    empty = client.get("/cases", q="没有这样的事").json()
    assert (empty["count"], empty["pages"], empty["next"], empty["previous"]) == (0, 1, None, None)


# --- ordering ----------------------------------------------------------------------------------


def test_cases_are_ordered_as_asked_with_the_id_breaking_ties(api, cases_world):
    w = cases_world
    made = [register(w, title=f"事项{n}") for n in range(4)]
    same_time = timezone.now() - timedelta(days=1)
    Case.objects.filter(pk__in=[c.pk for c in made]).update(received_at=same_time)
    wf.route_case(made[2], actor=w.director, unit=w.committee_a, complexity="general")
    client = api(w.director)

    def ids(ordering):
        response = client.get("/cases", ordering=ordering)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    pks = [c.pk for c in made]
    assert ids("received_at") == pks  # all received at once: by id
    assert ids("-received_at") == pks[::-1]
    assert ids("receipt_number") == pks and ids("-receipt_number") == pks[::-1]
    # Without a deadline last, whichever way.
    assert ids("deadline")[0] == made[2].pk and ids("-deadline")[0] == made[2].pk
    assert ids("-status,receipt_number") == [pks[2], pks[0], pks[1], pks[3]]  # routed > registered
    # Paging through an ordering with ties never repeats or skips a case.
    seen = []
    for page in (1, 2):
        seen += [i["id"] for i in client.get("/cases", ordering="received_at", limit=2,
                                             page=page).json()["items"]]  # fmt: skip
    assert seen == pks


def test_an_unknown_ordering_is_refused_naming_the_field(api, cases_world):
    client = api(cases_world.director, "en")
    for bad in ("title", "-password", "deadline,", "deadline,,status", " deadline"):
        error = assert_error(client.get("/cases", ordering=bad), 400, "invalid", "ordering")
        assert "receipt_number" in error["fields"]["ordering"]
    assert_error(client.get("/units", ordering="kind,-title"), 400, field="ordering")
    assert_error(client.get("/jurisdictions", ordering="path;drop"), 400, field="ordering")


# --- reference data ----------------------------------------------------------------------------


def test_units_are_filtered_and_read_by_id(api, cases_world):
    w = cases_world
    client = api(w.director)

    def names(**params):
        response = client.get("/units", **params)
        assert response.status_code == 200, response.content
        return {u["name"] for u in response.json()["items"]}

    assert names(kind="mediation") == {"桂花社区人民调解委员会", "柳岸社区人民调解委员会"}
    assert names(jurisdiction="CB") == {"柳岸社区工作站", "柳岸社区人民调解委员会"}
    assert names(level="street", q="司法") == {"青石司法所"}
    w.safety.is_active = False
    w.safety.save()
    assert names(active="false") == {"青石安监办"}
    assert "青石安监办" not in names(active="true")
    assert_error(client.get("/units", kind="bakery"), 400, field="kind")
    assert_error(client.get("/units", jurisdiction="XX"), 400, field="jurisdiction")
    by_name = client.get("/units", ordering="-name").json()["items"]
    assert [u["name"] for u in by_name] == sorted((u["name"] for u in by_name), reverse=True)

    one = client.get(f"/units/{w.police.pk}").json()
    assert one["name"] == "青石派出所" and one["kind"] == UnitKind.POLICE
    assert one["jurisdiction"] == "S1" and one["kind_label"]
    # Another community's unit is as unknown to desk_b as a unit that does not exist.
    assert_error(api(w.desk_b).get(f"/units/{w.committee_a.pk}"), 404, "not_found")
    assert_error(client.get("/units/999999"), 404)


def test_units_elsewhere_in_the_tree_are_not_listed(api, cases_world):
    UnitFactory(name="外区派出所", kind=UnitKind.POLICE)  # a root of its own
    names = {u["name"] for u in api(cases_world.admin).get("/units", limit=100).json()["items"]}
    assert "外区派出所" not in names and "青石派出所" in names


def test_jurisdictions_are_filtered_and_read_by_code(api, cases_world):
    client = api(cases_world.director)

    def codes(**params):
        response = client.get("/jurisdictions", **params)
        assert response.status_code == 200, response.content
        return [j["code"] for j in response.json()["items"]]

    assert codes(level="grid") == ["CA-01", "CB-01"]
    assert codes(parent="S1") == ["CA", "CB"]
    assert codes(q="柳岸") == ["CB", "CB-01"]
    assert codes(ordering="-code") == ["S1", "CB-01", "CB", "CA-01", "CA"]
    assert_error(client.get("/jurisdictions", parent="D1"), 400, field="parent")  # above him
    assert_error(client.get("/jurisdictions", level="planet"), 400, field="level")

    node = client.get("/jurisdictions/CA-01").json()
    assert node["name"] == "桂花一网格" and node["parent"] == "CA" and node["level"] == "grid"
    assert_error(api(cases_world.desk_b).get("/jurisdictions/CA"), 404)
    assert_error(client.get("/jurisdictions/D1"), 404)


def test_categories_are_filtered_and_read_by_code(api, cases_world):
    client = api(cases_world.desk)
    disputes = client.get("/categories", dispute="true").json()["items"]
    assert disputes and all(c["is_dispute"] for c in disputes)
    assert [c["code"] for c in client.get("/categories", q="邻里").json()["items"]] == ["neighbour"]
    Category.objects.filter(code="labour").update(is_active=False)
    listed = {c["code"] for c in client.get("/categories", limit=100).json()["items"]}
    assert "labour" not in listed and "family" in listed
    # A retired category can still be read: older cases name it.
    labour = client.get("/categories/labour").json()
    assert labour["is_active"] is False and labour["name_en"] == "Labour dispute"
    assert_error(client.get("/categories/nope"), 404, "not_found")


# --- attachments -------------------------------------------------------------------------------


def test_files_are_listed_downloaded_and_added_consistently(api, cases_world, media):
    w = cases_world
    case = register(w)
    client = api(w.desk)
    added = upload(client, case.pk, name='现场 照片"1".pdf', kind="investigation")
    assert added.status_code == 201, added.content
    item = added.json()["attachments"][0]
    assert added["Location"] == item["download_url"]
    listed = client.get(f"/cases/{case.pk}/attachments").json()
    assert listed["items"] == [item] and listed["count"] == 1
    assert item["name"] == '现场 照片"1".pdf' and item["kind"] == "investigation"
    assert item["content_type"] == "application/pdf" and item["size"] == len(PDF)
    assert item["download_url"] == (
        f"http://testserver/api/v1/cases/{case.pk}/attachments/{item['id']}"
    )

    response = client.client.get(item["download_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="1_.pdf"; '
        "filename*=utf-8''%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87%221%22.pdf"
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_file_is_reached_only_through_its_visible_case(api, cases_world, media):
    w = cases_world
    case, other = register(w), register(w, title="另一件")
    file_id = upload(api(w.desk), case.pk).json()["attachments"][0]["id"]
    assert_error(api(w.desk_b).get(f"/cases/{case.pk}/attachments/{file_id}"), 404)
    assert_error(api(w.desk_b).get(f"/cases/{case.pk}/attachments"), 404)
    assert_error(api(w.desk).get(f"/cases/{other.pk}/attachments/{file_id}"), 404)
    assert_error(api(w.desk).get(f"/cases/{case.pk}/attachments/{2**63}"), 404)
    # A file gone from the disk is not found, not a server error.
    case.attachments.get().file.delete(save=False)
    assert_error(api(w.desk).get(f"/cases/{case.pk}/attachments/{file_id}"), 404)


def test_who_may_not_add_material_hears_that_before_anything_about_the_file(api, cases_world):
    w = cases_world
    case = register(w)
    assert_error(upload(api(w.unit), case.pk), 404)  # a unit sees only its own cases
    refused = upload(api(w.supervisor), case.pk, name="x.exe", content=b"not a document")
    assert_error(refused, 403, "forbidden")
    assert not case.attachments.exists()


# --- ETags and If-Match ------------------------------------------------------------------------


def test_reads_answer_an_etag_and_304_while_nothing_changed(api, cases_world):
    w = cases_world
    case = register(w)
    client = api(w.director)
    first = client.get(f"/cases/{case.pk}")
    tag = first["ETag"]
    assert tag.startswith('"') and len(tag) == 34
    assert "private" in first["Cache-Control"] and "Accept-Language" in first["Vary"]
    again = get(client, f"/cases/{case.pk}", {"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
    assert get(client, f"/cases/{case.pk}", {"If-None-Match": f"W/{tag}"}).status_code == 304
    assert get(client, f"/cases/{case.pk}", {"If-None-Match": '"x", ' + tag}).status_code == 304
    assert get(client, f"/cases/{case.pk}", {"If-None-Match": '"other"'}).status_code == 200

    # What the caller sees decides the tag: language, role, and any change to the case.
    assert api(w.director, "en").get(f"/cases/{case.pk}")["ETag"] != tag
    assert api(w.desk).get(f"/cases/{case.pk}")["ETag"] != tag
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    changed = get(client, f"/cases/{case.pk}", {"If-None-Match": tag})
    assert changed.status_code == 200 and changed["ETag"] != tag


@pytest.mark.parametrize(
    "path", ["/cases", "/categories", "/jurisdictions", "/units", "/jurisdictions/CA",
             "/categories/family", "/cases/{id}/timeline", "/cases/{id}/attachments"],
)  # fmt: skip
def test_every_read_has_an_etag(api, cases_world, path):
    client = api(cases_world.director)
    path = path.format(id=register(cases_world).pk)
    tag = client.get(path)["ETag"]
    assert get(client, path, {"If-None-Match": tag}).status_code == 304


def test_a_new_case_changes_the_lists_etag(api, cases_world):
    client = api(cases_world.desk)
    tag = client.get("/cases")["ETag"]
    register(cases_world)
    assert get(client, "/cases", {"If-None-Match": tag}).status_code == 200


def test_if_match_guards_an_action_against_a_stale_copy(api, cases_world):
    w = cases_world
    case = register(w)
    director = api(w.director)
    stale = director.get(f"/cases/{case.pk}")["ETag"]
    Case.objects.filter(pk=case.pk).update(title="改过的标题")  # changed behind its back
    route = {"unit": w.committee_a.pk, "complexity": "general"}
    refused = director.post(f"/cases/{case.pk}/actions/route", route, **{"If-Match": stale})
    assert_error(refused, 412, "precondition_failed", "If-Match")
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and case.version == 0

    fresh = director.get(f"/cases/{case.pk}")["ETag"]
    done = director.post(f"/cases/{case.pk}/actions/route", route, **{"If-Match": fresh})
    assert done.status_code == 200, done.content
    # The answer's tag is the case as it is now, so the next action can be chained on it.
    assert done["ETag"] == director.get(f"/cases/{case.pk}")["ETag"]

    mediator = api(w.mediator)
    tag = mediator.get(f"/cases/{case.pk}")["ETag"]
    # A weak tag never matches: RFC 9110 compares If-Match strongly.
    weak = mediator.post(f"/cases/{case.pk}/actions/accept", {}, **{"If-Match": f"W/{tag}"})
    assert_error(weak, 412)
    accepted = mediator.post(f"/cases/{case.pk}/actions/accept", {}, **{"If-Match": tag})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def test_if_match_star_and_a_wrong_role_before_a_stale_tag(api, cases_world):
    w = cases_world
    case = register(w)
    route = {"unit": w.committee_a.pk, "complexity": "general"}
    # Refused for the role, not for the tag: the caller could not act anyway.
    assert_error(
        api(w.desk).post(f"/cases/{case.pk}/actions/route", route, **{"If-Match": '"old"'}),
        403,
        "forbidden",
    )
    response = api(w.director).post(f"/cases/{case.pk}/actions/route", route, **{"If-Match": "*"})
    assert response.status_code == 200, response.content


# --- register ------------------------------------------------------------------------------------


def test_a_new_case_has_its_location(api, cases_world):
    response = api(cases_world.desk).post("/cases", new_case())
    assert response.status_code == 201
    assert response["Location"] == f"http://testserver/api/v1/cases/{response.json()['id']}"


# --- odd input ---------------------------------------------------------------------------------


def test_numbers_beyond_the_database_are_not_found_or_refused(api, cases_world):
    w = cases_world
    case = register(w)
    client = api(w.director)
    for path in (f"/cases/{2**63}", f"/cases/{2**64}/timeline", f"/units/{2**63}",
                 f"/cases/{2**70}/attachments", "/cases/-1", "/cases/1.5"):  # fmt: skip
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.act(2**63, "accept"), 404)
    assert_error(client.act(case.pk, "route", {"unit": 2**63}), 400, field="unit")
    assert_error(
        client.act(case.pk, "route", {"unit": w.police.pk, "co_units": [2**70]}), 400,
        field="co_units.0",
    )  # fmt: skip
    assert_error(client.get("/cases", unit=2**63), 400, field="unit")
    assert_error(client.get("/cases", page=10**9), 400, field="page")
    assert_error(client.post("/cases", new_case(about_unit=2**64)), 400, field="about_unit")


def test_dates_at_the_ends_of_the_calendar_filter_nothing_out(api, cases_world):
    register(cases_world)
    client = api(cases_world.desk)
    wide = client.get("/cases", received_from="0001-01-01", received_to="9999-12-31")
    assert wide.status_code == 200 and wide.json()["count"] == 1


def test_nul_characters_are_refused_not_sent_to_the_database(api, cases_world):
    client = api(cases_world.desk, "en")
    error = assert_error(client.post("/cases", new_case(title="a\x00b")), 400, field="title")
    assert error["fields"]["title"] == "Null characters are not allowed."
    assert_error(client.get("/units", q="\x00"), 400, field="q")
    assert_error(client.get("/jurisdictions", parent="C\x00"), 400, field="parent")
    assert_error(client.get("/cases", q="\x00"), 400, field="q")
    assert_error(client.get("/categories/a%00b"), 404)
    assert_error(client.get("/jurisdictions/%00"), 404)


def test_a_post_to_an_unknown_path_is_a_json_404_not_a_csrf_page(api, cases_world):
    response = Client(enforce_csrf_checks=True).post(f"{BASE}/cases/-1/attachments", {})
    assert_error(response, 404, "not_found")


# --- rate ----------------------------------------------------------------------------------------


def test_too_many_calls_from_one_account_are_answered_429(api, cases_world, settings):
    settings.YIMEN_API_RATE = "3/min"
    client = api(cases_world.desk)
    for _ in range(3):
        assert client.get("/categories").status_code == 200
    response = client.get("/categories")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    # Counted per account: another one is not held up.
    assert api(cases_world.director).get("/categories").status_code == 200
    settings.YIMEN_API_RATE = ""
    assert client.get("/categories").status_code == 200


# --- the document ------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_complete(cases_world):
    document = json.loads(Client().get(f"{BASE}/openapi.json").content)
    validate(document)  # raises on any error against the OpenAPI 3.1 schema
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    ids = [operation["operationId"] for operation in operations.values()]
    assert len(ids) == len(set(ids)) == 25
    assert {
        "register_case", "list_cases", "read_case", "read_case_timeline", "list_categories",
        "read_category", "list_jurisdictions", "read_jurisdiction", "list_units", "read_unit",
        "list_attachments", "download_attachment", "add_attachment", "case_action_route",
    } <= set(ids)  # fmt: skip
    for (method, path), operation in operations.items():
        assert operation["tags"] and operation["summary"], path
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), path
        for code, response in responses.items():
            assert response["description"], (path, code)
            if code.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}
        if "{" in path:
            assert "404" in responses, path
        if method == "get" and path != "/api/v1/cases/{case_id}/attachments/{attachment_id}":
            assert "304" in responses and "ETag" in responses["200"]["headers"]
            names = [p["name"] for p in operation["parameters"]]
            assert "If-None-Match" in names
            if path.endswith(("/cases", "/units", "/jurisdictions", "/categories")):
                assert {"page", "limit", "ordering"} <= set(names), path
        if "/actions/" in path:
            assert "412" in responses
            assert "If-Match" in [p["name"] for p in operation["parameters"]]
    download = operations["get", "/api/v1/cases/{case_id}/attachments/{attachment_id}"]
    assert "application/pdf" in download["responses"]["200"]["content"]
