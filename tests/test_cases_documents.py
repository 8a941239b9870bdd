"""The assignment slip as a PDF with a CJK font, behind the case's scoping."""

from yimen.cases import workflow as wf
from yimen.cases.models import Category


def routed_case(w):
    case = wf.register_case(
        actor=w.desk,
        title="楼道堆物<script>",
        description="楼道堆放杂物，存在消防隐患。",
        category=Category.objects.get(code="neighbour"),
        channel="visit",
        jurisdiction=w.community_a,
        parties=[wf.NewParty("王芳", "applicant", "13812345678")],
    ).case
    slip = wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="complex",
                         instructions="请三日内上门核实。")  # fmt: skip
    return case, slip


def test_slip_is_a_pdf_set_in_a_chinese_font(cases_world, client_for):
    case, slip = routed_case(cases_world)
    response = client_for(cases_world.mediator).get(f"/cases/{case.pk}/slips/{slip.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-") and b"STSong-Light" in body
    assert slip.number.encode() in response["Content-Disposition"].encode()


def test_slip_of_another_communitys_case_is_not_found(cases_world, client_for):
    case, slip = routed_case(cases_world)
    url = f"/cases/{case.pk}/slips/{slip.pk}.pdf"
    assert client_for(cases_world.desk_b).get(url).status_code == 404
    assert (
        client_for(cases_world.desk).get(f"/cases/{case.pk}/slips/{slip.pk + 99}.pdf").status_code
        == 404
    )
