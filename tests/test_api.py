"""The REST API at /api/v1/: token auth, scoping, validation, idempotency and every action."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from yimen.api import intake
from yimen.api.actions import ACTIONS
from yimen.api.models import ApiToken, IdempotencyKey
from yimen.api.tokens import issue_token
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Status

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BASE = "/api/v1"


class Api:
    """A client that sends one user's Bearer token and JSON bodies."""

    def __init__(self, token: str | None, language: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if language:
            headers["Accept-Language"] = language
        self.client = Client(headers=headers)

    def get(self, path, **params):
        return self.client.get(BASE + path, params)

    def post(self, path, body=None, **headers):
        data = json.dumps(body) if body is not None else ""
        return self.client.post(BASE + path, data, content_type="application/json", headers=headers)

    def act(self, case_id, name, body=None):
        return self.post(f"/cases/{case_id}/actions/{name}", body or {})


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """Tests here make many calls with one account; the limit has its own test."""
    settings.YIMEN_API_RATE = ""


@pytest.fixture
def api(cases_world):
    def make(user, language=None):
        return Api(issue_token(user), language)

    return make


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(wf, "_today", lambda: date(2026, 9, 28))


def new_case(**overrides):
    body = {
        "title": "楼上漏水",
        "description": "楼上卫生间漏水到楼下，多次协商未果。",
        "category": "neighbour",
        "channel": "visit",
        "jurisdiction": "CA",
        "parties": [{"name": "王芳", "phone": "13812345678", "role": "applicant"}],
    }
    body.update(overrides)
    return body


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["message"]
    assert isinstance(error["fields"], dict)
    if code:
        assert error["code"] == code
    if field:
        assert field in error["fields"], error
    return error


def register(w, **overrides):
    return wf.register_case(
        actor=w.desk,
        title=overrides.pop("title", "噪音扰民"),
        description="夜间装修噪音",
        category=wf.Category.objects.get(code=overrides.pop("category", "neighbour")),
        channel=overrides.pop("channel", "call"),
        jurisdiction=overrides.pop("jurisdiction", w.community_a),
        parties=[wf.NewParty("李明", "applicant", "13900001111")],
    ).case


# --- authentication ----------------------------------------------------------------------


def test_it_requires_a_token(cases_world):
    response = Client().get(f"{BASE}/cases")
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error(Api("ym_not-a-real-token").get("/cases"), 401, "unauthorized")
    assert_error(Api("garbage").get("/categories"), 401)


def test_only_the_tokens_hash_is_stored_and_last_use_is_noted(cases_world):
    secret = issue_token(cases_world.desk, name="intake kiosk")
    token = ApiToken.objects.get()
    assert secret not in token.key_hash and len(token.key_hash) == 64
    assert token.last_used_at is None
    assert Api(secret).get("/cases").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_deactivated_users_token_fails(api, cases_world):
    client = api(cases_world.desk)
    assert client.get("/cases").status_code == 200
    cases_world.desk.is_active = False
    cases_world.desk.save()
    assert_error(client.get("/cases"), 401)


def test_apitoken_command_prints_one_line_that_works(cases_world):
    out = io.StringIO()
    call_command("apitoken", "desk", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert Api(lines[0]).get("/categories").status_code == 200
    assert ApiToken.objects.get().user == cases_world.desk


def test_apitoken_command_refuses_unknown_and_deactivated_accounts(cases_world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("apitoken", "nobody", stdout=io.StringIO())
    cases_world.desk_b.is_active = False
    cases_world.desk_b.save()
    with pytest.raises(CommandError):
        call_command("apitoken", "desk_b", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


# --- reference data ------------------------------------------------------------------------


def test_categories_have_codes_and_names(api, cases_world):
    body = api(cases_world.desk).get("/categories").json()
    codes = {item["code"] for item in body["items"]}
    assert {"neighbour", "family", "public_order", "staff_complaint"} <= codes
    assert body["count"] == len(body["items"])
    neighbour = next(i for i in body["items"] if i["code"] == "neighbour")
    assert neighbour["name"] == "邻里纠纷" and neighbour["is_dispute"] is True


def test_jurisdictions_are_the_callers_subtree(api, cases_world):
    items = api(cases_world.desk).get("/jurisdictions").json()["items"]
    assert [(i["code"], i["parent"], i["level"]) for i in items] == [
        ("CA", "S1", "community"),
        ("CA-01", "CA", "grid"),
    ]
    assert items[0]["name"] == "桂花社区"
    street = api(cases_world.director).get("/jurisdictions").json()
    assert {i["code"] for i in street["items"]} == {"S1", "CA", "CB", "CA-01", "CB-01"}
    assert street["count"] == 5


def test_units_are_those_the_caller_can_assign_to(api, cases_world):
    items = api(cases_world.desk_b).get("/units").json()["items"]
    names = {i["name"] for i in items}
    assert "柳岸社区人民调解委员会" in names and "青石派出所" in names
    assert "桂花社区人民调解委员会" not in names


# --- create --------------------------------------------------------------------------------


def test_create_answers_201_with_the_receipt_number_and_masked_phone(api, cases_world):
    response = api(cases_world.desk).post("/cases", new_case())
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk and body["receipt_number"] == case.receipt_number
    assert body["receipt_number"].startswith("YM-")
    assert body["status"] == "registered"
    assert body["category"] == "neighbour" and body["jurisdiction"] == "CA"
    assert body["deadline"] is None and body["working_days_left"] is None
    assert body["parties"][0]["phone"] == "138****5678"
    assert "13812345678" not in response.content.decode()
    assert case.tracking_code_hash == wf.tracking_hash(body["tracking_code"])
    assert body["lead_unit"] is None and body["is_urgent"] is False
    assert "received_at" in body and "deadline_provisional" in body
    assert "route" not in body["allowed_actions"]  # the desk does not route
    # The tracking code is shown once: reading the case never gives it.
    assert "tracking_code" not in api(cases_world.desk).get(f"/cases/{case.pk}").json()


def test_create_settled_on_the_spot(api, cases_world):
    response = api(cases_world.desk).post(
        "/cases", new_case(settle_on_the_spot=True, result="现场调解，双方和解。")
    )
    assert response.status_code == 201
    assert response.json()["status"] == "closed" and response.json()["on_the_spot"] is True


def test_a_retry_with_the_same_idempotency_key_gives_the_same_case(api, cases_world):
    client = api(cases_world.desk)
    first = client.post("/cases", new_case(), **{"Idempotency-Key": "k-1"})
    again = client.post("/cases", new_case(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["tracking_code"] is None
    assert Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    # The key is the caller's own: another account's same key makes its own case.
    other = api(cases_world.mediator).post("/cases", new_case(), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 201 and Case.objects.count() == 2


def test_the_same_key_with_another_body_is_a_conflict(api, cases_world):
    client = api(cases_world.desk)
    client.post("/cases", new_case(), **{"Idempotency-Key": "k-2"})
    response = client.post("/cases", new_case(title="另一件事"), **{"Idempotency-Key": "k-2"})
    assert_error(response, 409, "idempotency_key_reused")
    assert Case.objects.count() == 1


def test_a_refused_create_does_not_use_up_the_key(api, cases_world):
    client = api(cases_world.desk)
    bad = client.post("/cases", new_case(category="nope"), **{"Idempotency-Key": "k-3"})
    assert bad.status_code == 400
    good = client.post("/cases", new_case(), **{"Idempotency-Key": "k-3"})
    assert good.status_code == 201


def test_a_racing_duplicate_rolls_back_and_answers_with_the_winners_case(
    api, cases_world, monkeypatch
):
    """The other request committed its key between our look-up and our insert."""
    winner = register(cases_world)
    digest = intake.body_hash(intake.CaseIn(**new_case()))
    IdempotencyKey.objects.create(
        user=cases_world.desk, key="k-race", body_hash=digest, case=winner
    )
    lookups = []
    existing = intake._existing

    def not_yet_committed_at_first(user, key):
        lookups.append(key)
        return None if len(lookups) == 1 else existing(user, key)

    monkeypatch.setattr(intake, "_existing", not_yet_committed_at_first)
    response = api(cases_world.desk).post("/cases", new_case(), **{"Idempotency-Key": "k-race"})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == winner.pk
    assert list(Case.objects.all()) == [winner] and len(lookups) == 2


def test_unknown_codes_are_refused_naming_the_field(api, cases_world):
    client = api(cases_world.desk)
    error = assert_error(
        client.post("/cases", new_case(category="nope", jurisdiction="XX")), 400, "invalid"
    )
    assert set(error["fields"]) == {"category", "jurisdiction"}
    # A place outside the caller's subtree is as unknown as one that does not exist.
    assert_error(client.post("/cases", new_case(jurisdiction="CB")), 400, field="jurisdiction")
    assert not Case.objects.exists()


def test_body_validation_names_the_fields(api, cases_world):
    body = new_case(title="  ", channel="pigeon", surprise=1)
    body["parties"][0]["role"] = "witness"
    del body["description"]
    error = assert_error(api(cases_world.desk).post("/cases", body), 400, "invalid")
    assert {"title", "description", "channel", "parties.0.role", "surprise"} <= set(error["fields"])
    assert_error(
        api(cases_world.desk).client.post(
            f"{BASE}/cases", "{not json", content_type="application/json"
        ),
        400,
        "bad_request",
    )


def test_the_workflows_own_rules_apply(api, cases_world):
    client = api(cases_world.desk)
    no_applicant = new_case(parties=[{"name": "赵四", "role": "respondent"}])
    assert_error(client.post("/cases", no_applicant), 400, "invalid", "parties")
    assert_error(api(cases_world.unit).post("/cases", new_case()), 403, "forbidden")
    assert not Case.objects.exists()


def test_messages_follow_the_request_language(api, cases_world):
    english = assert_error(api(cases_world.unit, "en").post("/cases", new_case()), 403)
    assert english["message"] == "Your role may not register matters."
    chinese = api(cases_world.desk).post("/cases", new_case(title=""))
    assert "必填" in chinese.json()["error"]["fields"]["title"]  # zh-Hans unless asked otherwise
    english = api(cases_world.desk, "en").post("/cases", new_case(title=""))
    assert english.json()["error"]["fields"]["title"] == "This field is required."


# --- read, list, scope -----------------------------------------------------------------------


def test_another_communitys_case_is_not_found(api, cases_world):
    case = register(cases_world)
    client = api(cases_world.desk_b)
    assert_error(client.get(f"/cases/{case.pk}"), 404, "not_found")
    assert_error(client.get(f"/cases/{case.pk}/timeline"), 404)
    assert_error(client.act(case.pk, "close"), 404)
    assert client.get("/cases").json()["count"] == 0
    assert api(cases_world.desk).get(f"/cases/{case.pk}").status_code == 200
    assert_error(client.get("/cases/999999"), 404)
    assert_error(client.get("/nowhere"), 404, "not_found")


def test_list_filters(api, cases_world, today):
    w = cases_world
    noise = register(w, title="噪音扰民", channel="call")
    fight = register(w, title="打架斗殴", category="public_order", channel="visit")
    leak = register(w, title="楼上漏水", channel="visit")
    wf.route_case(leak, actor=w.director, unit=w.committee_a, complexity="general")
    client = api(w.director)

    def ids(**params):
        response = client.get("/cases", **params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids() == {noise.pk, fight.pk, leak.pk}
    assert ids(status="routed") == {leak.pk}
    assert ids(status="open") == {noise.pk, fight.pk, leak.pk}
    assert ids(category="public_order") == {fight.pk}
    assert ids(channel="call") == {noise.pk}
    assert ids(q="漏水") == {leak.pk}
    assert ids(q=noise.receipt_number) == {noise.pk}
    assert ids(unit=w.committee_a.pk) == {leak.pk}
    assert ids(jurisdiction="CA") == {noise.pk, fight.pk, leak.pk}
    assert ids(jurisdiction="CB") == set()
    # Routed as of 2026-09-28, due 2026-10-13: overdue whenever the suite runs later.
    assert ids(overdue="true") == (
        {leak.pk} if timezone.localdate() > date(2026, 10, 13) else set()
    )
    assert ids(overdue="false") == {noise.pk, fight.pk, leak.pk}
    assert ids(received_from="2000-01-01", received_to="2000-01-02") == set()
    assert_error(client.get("/cases", category="nope"), 400, field="category")
    assert_error(client.get("/cases", jurisdiction="XX"), 400, field="jurisdiction")
    assert_error(api(w.desk_b).get("/cases", jurisdiction="CA"), 400, field="jurisdiction")
    assert_error(client.get("/cases", received_from="yesterday"), 400, field="received_from")


def test_list_paging(api, cases_world):
    made = [register(cases_world, title=f"事项{n}") for n in range(5)]
    client = api(cases_world.desk)
    first = client.get("/cases", limit=2).json()
    assert first["count"] == 5 and len(first["items"]) == 2
    assert [i["id"] for i in first["items"]] == [made[4].pk, made[3].pk]  # newest first
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get("/cases", limit=2, page=3).json()
    assert [i["id"] for i in last["items"]] == [made[0].pk] and last["next"] is None
    assert client.get("/cases", limit=2, page=9).json()["items"] == []
    assert_error(client.get("/cases", limit=101), 400, field="limit")
    assert_error(client.get("/cases", page=0), 400, field="page")


def test_list_items_mask_phones(api, cases_world):
    register(cases_world)
    item = api(cases_world.desk).get("/cases").json()["items"][0]
    assert item["parties"][0]["phone"] == "139****1111"


# --- actions -----------------------------------------------------------------------------------


def test_every_transition_has_an_api_action():
    assert set(ACTIONS) == set(wf.TRANSITIONS)


def test_the_whole_lifecycle_through_the_api(api, cases_world, today):
    w = cases_world
    desk, director, mediator = api(w.desk), api(w.director), api(w.mediator)
    supervisor = api(w.supervisor)
    case_id = desk.post("/cases", new_case()).json()["id"]

    routed = director.act(
        case_id,
        "route",
        {"unit": w.committee_a.pk, "complexity": "general", "instructions": "尽快上门"},
    )
    assert routed.status_code == 200, routed.content
    body = routed.json()
    assert body["status"] == "routed" and body["lead_unit"]["id"] == w.committee_a.pk
    assert body["deadline"] == "2026-10-13" and body["working_days_left"] is not None

    assert mediator.act(case_id, "accept").json()["status"] == "accepted"
    acted = mediator.act(case_id, "record_action", {"kind": "visit", "note": "上门查看"})
    assert acted.json()["status"] == "in_progress"

    asked = mediator.act(
        case_id, "request_extension", {"reason": "需鉴定", "new_deadline": "2026-10-30"}
    )
    pending = asked.json()["pending_extension"]
    assert pending["new_deadline"] == "2026-10-30"
    decided = supervisor.act(
        case_id, "decide_extension", {"request": pending["id"], "approve": True}
    )
    assert decided.json()["status"] == "extended" and decided.json()["deadline"] == "2026-10-30"

    resolved = mediator.act(case_id, "submit_result", {"result": "双方达成协议"})
    assert resolved.json()["status"] == "resolved"
    assert director.act(case_id, "close", {"note": "结果属实"}).json()["status"] == "closed"
    reopened = desk.act(
        case_id,
        "follow_up",
        {"satisfaction": "dissatisfied", "comment": "仍在漏水", "reopen": True},
    )
    assert reopened.json()["status"] == "reopened"
    mediator.act(case_id, "submit_result", {"result": "重新维修"})
    assert supervisor.act(case_id, "reopen", {"reason": "未达要求"}).json()["status"] == "reopened"
    mediator.act(case_id, "submit_result", {"result": "再次维修"})
    director.act(case_id, "close")
    satisfied = desk.act(case_id, "follow_up", {"satisfaction": "satisfied"})
    assert satisfied.status_code == 200 and satisfied.json()["status"] == "closed"

    timeline = desk.get(f"/cases/{case_id}/timeline").json()
    actions = [e["action"] for e in timeline["items"]]
    assert actions[:4] == ["registered", "routed", "accepted", "action"]
    assert "extension_approved" in actions and actions[-1] == "followed_up"
    assert timeline["count"] == len(actions)


def test_return_refused_extension_and_transfer_out(api, cases_world):
    w = cases_world
    director, mediator = api(w.director), api(w.mediator)
    case = register(w)
    director.act(case.pk, "route", {"unit": w.committee_a.pk, "complexity": "general"})
    returned = mediator.act(case.pk, "return", {"reason": "不属于本委员会受理范围"})
    assert returned.json()["status"] == "returned" and returned.json()["lead_unit"] is None

    director.act(case.pk, "route", {"unit": w.committee_a.pk, "complexity": "complex"})
    mediator.act(case.pk, "accept")
    mediator.act(case.pk, "request_extension", {"reason": "x", "new_deadline": "2027-06-01"})
    assert_error(director.act(case.pk, "decide_extension", {"approve": False}), 400, field="note")
    refused = director.act(case.pk, "decide_extension", {"approve": False, "note": "期限足够"})
    assert refused.json()["pending_extension"] is None

    moved = director.act(
        case.pk, "transfer_out", {"to_body": "区仲裁院", "note_for_resident": "请到区仲裁院立案"}
    )
    assert moved.json()["status"] == "transferred_out"
    assert moved.json()["transferred_to"] == "区仲裁院"


def test_route_with_co_units_override_and_a_leader(api, cases_world):
    w = cases_world
    director = api(w.director)
    case = register(w)
    needs_reason = director.act(case.pk, "route", {"unit": w.police.pk, "complexity": "general"})
    assert_error(needs_reason, 400, "invalid", "override_reason")
    assert_error(director.act(case.pk, "route", {"complexity": "general"}), 400, field="unit")
    assert_error(
        director.act(case.pk, "route", {"unit": 999999, "complexity": "general"}), 400, field="unit"
    )
    routed = director.act(
        case.pk,
        "route",
        {
            "unit": w.committee_a.pk,
            "co_units": [w.police.pk],
            "complexity": "leader",
            "leader": w.leader.pk,
        },
    )
    assert routed.status_code == 200, routed.content
    assert [u["id"] for u in routed.json()["co_units"]] == [w.police.pk]
    assert routed.json()["complexity"] == "leader"


def test_escalation_with_attachments_uploaded_through_the_api(api, cases_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = cases_world
    director, mediator = api(w.director), api(w.mediator)
    case = register(w)
    director.act(case.pk, "route", {"unit": w.committee_a.pk, "complexity": "general"})
    mediator.act(case.pk, "accept")
    missing = mediator.act(case.pk, "escalate", {"reason": "调解不成"})
    assert_error(missing, 400, "invalid", "attachments")
    for kind in wf.ESCALATION_ATTACHMENTS:
        upload = io.BytesIO(PDF)
        upload.name = f"{kind}.pdf"
        response = mediator.client.post(
            f"{BASE}/cases/{case.pk}/attachments", {"file": upload, "kind": kind}
        )
        assert response.status_code == 201, response.content
    assert len(response.json()["attachments"]) == 3
    bad = io.BytesIO(b"MZ not a document")
    bad.name = "virus.exe"
    refused = mediator.client.post(f"{BASE}/cases/{case.pk}/attachments", {"file": bad})
    assert_error(refused, 400, field="file")
    escalated = mediator.act(case.pk, "escalate", {"reason": "调解不成，当事人申请上交"})
    assert escalated.status_code == 200, escalated.content
    assert escalated.json()["status"] == "escalated" and escalated.json()["escalation_level"] == 1


def test_a_wrong_role_is_refused_with_403_and_nothing_changes(api, cases_world):
    w = cases_world
    case = register(w)
    for user in (w.desk, w.mediator, w.supervisor):
        # Refused for the role before the (here empty) body is looked at.
        error = assert_error(api(user, "en").act(case.pk, "route"), 403, "forbidden")
        assert error["message"] == "“Assign” is not open to your role or unit on this case."
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and case.version == 0
    assert list(case.events.values_list("action", flat=True)) == ["registered"]


def test_a_wrong_state_is_refused_with_409_and_nothing_changes(api, cases_world):
    w = cases_world
    case = register(w)
    error = assert_error(api(w.director, "en").act(case.pk, "close"), 409, "invalid_state")
    assert "“Close the case” is not possible now" in error["message"]
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and case.version == 0
    assert case.events.count() == 1


def test_an_invisible_unit_gets_404_not_403(api, cases_world):
    case = register(cases_world)
    assert_error(api(cases_world.unit).act(case.pk, "accept"), 404)


def test_an_action_body_is_checked(api, cases_world):
    w = cases_world
    case = register(w)
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    wf.accept_case(case, actor=w.mediator)
    client = api(w.mediator)
    assert_error(client.act(case.pk, "record_action", {"kind": "visit"}), 400, field="note")
    assert_error(
        client.act(case.pk, "record_action", {"kind": "visit", "note": "x", "x": 1}), 400, field="x"
    )
    assert_error(
        client.act(case.pk, "request_extension", {"new_deadline": "soon"}),
        400,
        field="new_deadline",
    )
    assert_error(client.act(case.pk, "unknown_action"), 404)


# --- the document ------------------------------------------------------------------------------


def test_the_openapi_document_lists_the_case_paths(cases_world):
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert "/api/v1/cases" in paths and "/api/v1/cases/{case_id}" in paths
    assert {"get", "post"} <= set(paths["/api/v1/cases"])
    for name in wf.TRANSITIONS:
        assert f"/api/v1/cases/{{case_id}}/actions/{name}" in paths
    assert "bearer" in json.dumps(document["components"]["securitySchemes"]).lower()


def test_there_is_no_docs_page_loading_from_a_cdn(cases_world):
    assert Client().get(f"{BASE}/docs").status_code == 404


def test_errors_outside_the_routes_are_json_too(api, cases_world):
    client = api(cases_world.desk)
    assert_error(client.get("/"), 404, "not_found")
    response = client.get("/cases/1/actions/accept")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_an_action_needs_no_body_when_it_has_no_fields(api, cases_world):
    w = cases_world
    case = register(w)
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    response = api(w.mediator).client.generic(
        "POST", f"{BASE}/cases/{case.pk}/actions/accept", b"", content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_the_list_costs_the_same_queries_for_more_cases(api, cases_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = cases_world
    client = api(w.director)
    for _ in range(2):
        wf.route_case(register(w), actor=w.director, unit=w.committee_a, complexity="general")
    client.get("/cases")  # the token's last use is noted once
    with CaptureQueriesContext(connection) as few:
        assert client.get("/cases").json()["count"] == 2
    for _ in range(4):
        wf.route_case(register(w), actor=w.director, unit=w.committee_a, complexity="general")
    with CaptureQueriesContext(connection) as more:
        assert client.get("/cases").json()["count"] == 6
    assert len(more) == len(few) <= 12


def test_two_copies_racing_on_postgresql_make_one_case(
    seeded_transactional_db, cases_world, monkeypatch
):
    """Both pass the look-up before either commits; the unique key lets only one case stay."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    token = issue_token(cases_world.desk)
    seen = threading.local()
    existing = intake._existing

    def miss_first_time(user, key):
        first = not getattr(seen, "looked", False)
        seen.looked = True
        return None if first else existing(user, key)

    monkeypatch.setattr(intake, "_existing", miss_first_time)
    barrier = threading.Barrier(2)
    responses = []

    def submit():
        try:
            barrier.wait()
            responses.append(Api(token).post("/cases", new_case(), **{"Idempotency-Key": "k"}))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Case.objects.count() == 1
