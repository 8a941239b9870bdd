"""A resident's request to see what is held about them, answered from one screen."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from yimen.audit.models import Event
from yimen.cases import workflow as wf
from yimen.cases.models import Category

PHONE, ID_NUMBER = "13812345678", "110101199001011234"


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def register(w, place, actor, *, phone=PHONE, name="王芳", title="楼上漏水"):
    return wf.register_case(
        actor=actor, title=title, description="卫生间漏水。",
        category=Category.objects.get(code="neighbour"), channel="visit", jurisdiction=place,
        parties=[wf.NewParty(name, "applicant", phone, ID_NUMBER if phone == PHONE else ""),
                 wf.NewParty("李强", "respondent", "13900001111")],
    ).case  # fmt: skip


@pytest.fixture
def held(cases_world):
    w = cases_world
    mine = [register(w, w.community_a, w.desk), register(w, w.community_a, w.desk, title="噪音")]
    register(w, w.community_a, w.desk, phone="13812345679", name="王芳芳")  # a near miss
    register(w, w.community_b, w.desk_b)  # another community's
    return w, mine


def test_the_desk_finds_exactly_the_residents_records_masked(held, client_for):
    w, mine = held
    page = client_for(w.desk).get("/cases/privacy/access/", {"phone": PHONE})
    assert page.status_code == 200
    found = [party.case for party, _masked in page.context["found"]]
    assert found == mine  # not the near miss, not community B's
    table = page.content.decode().split('id="held"')[1].split("</table>")[0]
    assert PHONE not in table and "138****5678" in table  # the typed search term aside


def test_the_export_holds_everything_in_full_and_is_audited(held, client_for):
    w, mine = held
    response = client_for(w.desk).get(
        "/cases/privacy/access/", {"id_number": ID_NUMBER.lower(), "export": "xlsx"}
    )
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] and r[0].startswith("YM-")]
    assert [r[0] for r in rows] == [case.receipt_number for case in mine]
    assert rows[0][8] == PHONE and rows[0][9] == ID_NUMBER
    event = Event.objects.get(action="privacy.access_request.exported")
    assert len(event.changes["parties"]) == 2


def test_a_search_needs_a_number_and_is_for_the_desk_and_director(held, client_for):
    w, _mine = held
    empty = client_for(w.desk).get("/cases/privacy/access/", {"phone": " "})
    assert empty.status_code == 400
    assert "phone number or ID number." in empty.content.decode()
    assert client_for(w.mediator).get("/cases/privacy/access/").status_code == 403
