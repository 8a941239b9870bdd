"""Field work: grids on a map, patrol logs, screening campaigns, coverage and the patrol
register — each checked as the grid worker, the director and community B's staff."""

import io
import json
import uuid
from datetime import date, datetime, timedelta
from io import BytesIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from yimen.audit.models import Event
from yimen.cases.inbox import routing_queue
from yimen.cases.models import Case, Category, Channel, Status
from yimen.cases.workflow import Invalid, NotAllowed, WorkflowError
from yimen.fieldwork import rules, services
from yimen.fieldwork.boundaries import BoundaryError, import_grid_boundaries
from yimen.fieldwork.coverage import screening_coverage
from yimen.fieldwork.models import Campaign, CampaignGrid, CampaignKind, Finding, Patrol
from yimen.ledgers.registry import LEDGERS
from yimen.org.models import Level, Role
from yimen.periods import Period
from yimen.safety.models import Hazard, Source

from .factories import JurisdictionFactory, UserFactory
from .pdf_support import pdf_words

TZ = ZoneInfo("Asia/Shanghai")


def square(west, south, east, north):
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


# Community A is 120.0–120.1 E, 30.0–30.1 N (conftest.SQUARE_A); its grids split it.
GRID_A1 = square(120.0, 30.0, 120.05, 30.05)
GRID_A2 = square(120.05, 30.0, 120.1, 30.05)
INSIDE_A1 = ("30.020000", "120.020000")
OUTSIDE_A1 = ("30.080000", "120.080000")  # in community A, not in grid A1


pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


@pytest.fixture
def fw(cases_world, media):
    """``cases_world`` with drawn grids, a second grid in A and the grid workers named."""
    w = cases_world
    w.grid_a1.polygon = GRID_A1
    w.grid_a1.save()
    w.grid_a2 = JurisdictionFactory(code="CA-02", name="桂花二网格", level=Level.GRID,
                                    parent=w.community_a, polygon=GRID_A2)  # fmt: skip
    w.grid_a2_worker = UserFactory(username="grid2", role=Role.GRID, jurisdiction=w.grid_a2)
    w.grid_b = UserFactory(username="grid_b", role=Role.GRID, jurisdiction=w.grid_b1)
    services.assign_worker(w.grid_a1, actor=w.director, worker=w.grid)
    services.assign_worker(w.grid_b1, actor=w.director, worker=w.grid_b)
    w.neighbour = Category.objects.get(code="neighbour")
    w.hazard_category = Category.objects.get(code="hazard")
    return w


def png(name="photo.png"):
    """A small generated PNG, as a phone's camera would send it."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def at(day, hour=9, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def patrol_data(w, *, findings=(), **extra):
    """The patrol form as the phone sends it: the patrol, then each finding's fields."""
    data = {
        "client_key": str(uuid.uuid4()),
        "grid": str(w.grid_a1.pk),
        "started_at": "2026-11-20T09:00",
        "ended_at": "2026-11-20T10:30",
        "checked": "3号楼消防通道、河堤护栏",
        "findings-TOTAL_FORMS": str(max(1, len(findings))),
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "10",
    }
    for index, finding in enumerate(findings):
        values = {"becomes": "note", **finding}
        data.update({f"findings-{index}-{k}": v for k, v in values.items()})
    return data | extra


def log(w, **values):
    """A patrol logged straight through the service (setup for other checks)."""
    patrol = services.NewPatrol(
        grid=values.pop("grid", w.grid_a1),
        started_at=values.pop("started_at", at(20, 9)),
        ended_at=values.pop("ended_at", at(20, 10)),
        checked=values.pop("checked", "巡查楼道"),
        findings=values.pop("findings", ()),
    )
    return services.log_patrol(patrol, actor=values.pop("actor", w.grid), **values)


# --- patrols ------------------------------------------------------------------------------


def test_the_patrol_form_carries_its_key_and_defaults_to_the_workers_grid(fw, client_for):
    page = client_for(fw.grid).get(reverse("fieldwork:patrol_new")).content.decode()
    assert "data-offline" in page and "js/offline-form.js" in page
    key = page.split('name="client_key" value="')[1].split('"')[0]
    assert uuid.UUID(key).version == 4
    assert f'<option value="{fw.grid_a1.pk}" selected>' in page


def test_a_patrol_cannot_end_before_it_starts(fw, client_for):
    response = client_for(fw.grid).post(
        reverse("fieldwork:patrol_new"),
        patrol_data(fw, ended_at="2026-11-20T08:00", findings=[{"text": "楼道堆物"}]),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The patrol cannot end before it starts." in page
    assert "3号楼消防通道、河堤护栏" in page and "楼道堆物" in page  # what was typed is kept
    assert not Patrol.objects.exists()


def test_a_point_outside_the_grid_warns_and_needs_a_reason(fw, client_for):
    client = client_for(fw.grid)
    lat, lon = OUTSIDE_A1
    finding = {"text": "河对岸护栏缺失", "latitude": lat, "longitude": lon}
    response = client.post(reverse("fieldwork:patrol_new"), patrol_data(fw, findings=[finding]))
    assert response.status_code == 400
    assert "This point lies outside 桂花一网格. Say why, to record it anyway." in (
        response.content.decode()
    )
    assert not Patrol.objects.exists()

    reason = {**finding, "outside_reason": "沿河巡查越过网格边界"}
    response = client.post(reverse("fieldwork:patrol_new"), patrol_data(fw, findings=[reason]))
    assert response.status_code == 302
    saved = Finding.objects.get()
    assert saved.outside_reason == "沿河巡查越过网格边界"
    assert str(saved.latitude) == lat and saved.case is None


def test_the_rules_warn_only_for_a_point_outside_and_without_reason(fw):
    inside, outside = rules.Point(*INSIDE_A1), rules.Point(*OUTSIDE_A1)
    assert rules.patrol_problems(fw.grid_a1, at(20, 9), at(20, 10), [inside]) == {}
    problems = rules.patrol_problems(fw.grid_a1, at(20, 10), at(20, 9), [inside, outside])
    assert set(problems) == {"ended_at", "finding-1-outside_reason"}
    explained = rules.Point(*OUTSIDE_A1, outside_reason="跟踪问题")
    assert rules.patrol_problems(fw.grid_a1, at(20, 9), at(20, 10), [explained]) == {}
    assert not rules.point_outside(fw.grid_b1, *OUTSIDE_A1)  # no boundary: nothing to check


def test_a_file_that_is_not_a_photo_is_refused_and_what_was_typed_is_kept(fw, client_for):
    data = patrol_data(fw, findings=[{"text": "墙体开裂"}])
    data["findings-0-photos"] = SimpleUploadedFile("crack.png", b"MZ not an image", "image/png")
    response = client_for(fw.grid).post(reverse("fieldwork:patrol_new"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "crack.png is not a photo, PDF or Office document." in page
    assert "墙体开裂" in page and "3号楼消防通道、河堤护栏" in page
    assert not Patrol.objects.exists()


def test_only_grid_workers_log_patrols_in_their_own_grids(fw, client_for):
    assert client_for(fw.desk).get(reverse("fieldwork:patrol_new")).status_code == 403
    with pytest.raises(Invalid):
        log(fw, grid=fw.grid_b1)
    with pytest.raises(NotAllowed):
        log(fw, actor=fw.director)


def test_a_finding_becomes_a_grid_report_case_waiting_for_routing(fw, client_for):
    lat, lon = INSIDE_A1
    data = patrol_data(fw, findings=[{
        "text": "5号楼楼道堆放大量纸箱，堵塞消防通道", "latitude": lat, "longitude": lon,
        "becomes": "case", "category": str(fw.neighbour.pk),
    }])  # fmt: skip
    data["findings-0-photos"] = png()
    response = client_for(fw.grid).post(reverse("fieldwork:patrol_new"), data)
    patrol = Patrol.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "fieldwork:patrol", args=[patrol.pk]
    )
    finding = patrol.findings.get()
    case = finding.case
    assert case.channel == Channel.GRID and case.status == Status.REGISTERED
    assert case.jurisdiction == fw.grid_a1 and case.received_by == fw.grid
    assert case.description == finding.text and str(case.latitude) == lat
    attachment = case.attachments.get()
    assert attachment.content_type == "image/jpeg" and attachment.original_name == "photo.jpg"
    assert finding.photos.get().original_name == "photo.jpg"  # re-encoded, no metadata
    assert case in routing_queue(fw.director)
    queue = client_for(fw.director).get(reverse("cases:routing_queue"))
    assert case.receipt_number in queue.content.decode()
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"fieldwork.patrol.logged", "fieldwork.finding.case_registered"} <= actions


def test_a_recorded_finding_becomes_a_case_later_and_only_once(fw, client_for):
    patrol = log(fw, findings=[services.NewFinding("路灯不亮", *INSIDE_A1, photos=[png()])])
    finding = patrol.findings.get()
    client = client_for(fw.grid)
    url = reverse("fieldwork:raise_case", args=[finding.pk])
    response = client.post(url, {f"f{finding.pk}-category": fw.neighbour.pk})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.case.channel == Channel.GRID and finding.case.attachments.count() == 1
    with pytest.raises(WorkflowError, match="already a case or a hazard"):
        services.finding_to_case(finding, actor=fw.grid, category=fw.neighbour)
    assert Case.objects.count() == 1


def test_a_finding_becomes_a_hazard_in_one_step(fw, client_for):
    data = patrol_data(fw, findings=[{
        "text": "加油站旁违规堆放液化气罐", "latitude": INSIDE_A1[0], "longitude": INSIDE_A1[1],
        "becomes": "hazard",
    }])  # fmt: skip
    data["findings-0-photos"] = png("tanks.png")
    response = client_for(fw.grid).post(reverse("fieldwork:patrol_new"), data)
    assert response.status_code == 302
    finding = Finding.objects.get()
    hazard = finding.hazard
    assert hazard.source == Source.PATROL and hazard.jurisdiction == fw.grid_a1
    assert hazard.description == "加油站旁违规堆放液化气罐" and hazard.photos.count() == 1
    assert finding.case is None and not Case.objects.exists()

    page = client_for(fw.grid).get(reverse("fieldwork:patrol", args=[finding.patrol_id]))
    assert hazard.number in page.content.decode()
    later = log(fw, findings=[services.NewFinding("电线私拉乱接")]).findings.get()
    services.finding_to_hazard(later, actor=fw.grid)
    assert Hazard.objects.count() == 2
    with pytest.raises(WorkflowError):
        services.finding_to_hazard(later, actor=fw.grid)


def test_the_same_form_sent_twice_makes_one_patrol(fw, client_for):
    client = client_for(fw.grid)
    data = patrol_data(fw, findings=[{"text": "井盖缺失", "becomes": "case",
                                      "category": str(fw.neighbour.pk)}])  # fmt: skip
    first = client.post(reverse("fieldwork:patrol_new"), data)
    again = client.post(reverse("fieldwork:patrol_new"), data)
    patrol = Patrol.objects.get()
    assert first["Location"] == again["Location"] == reverse("fieldwork:patrol", args=[patrol.pk])
    assert Case.objects.count() == 1 and Finding.objects.count() == 1
    key = uuid.uuid4()
    assert log(fw, client_key=key) == log(fw, client_key=key)
    with pytest.raises(Invalid):
        log(fw, actor=fw.grid_b, grid=fw.grid_b1, client_key=key)  # someone else's key


def test_a_patrol_and_what_its_findings_became_are_written_together_or_not_at_all(fw):
    inactive = Category.objects.create(code="old", name="旧类别", is_active=False)
    findings = [
        services.NewFinding("可以登记的问题", becomes=services.Becomes.CASE, category=fw.neighbour),
        services.NewFinding("类别已停用", becomes=services.Becomes.CASE, category=inactive),
    ]
    with pytest.raises(Invalid):
        log(fw, findings=findings)
    assert not Patrol.objects.exists() and not Case.objects.exists()
    assert not Finding.objects.exists()


def test_patrol_lists_per_worker_and_per_grid(fw, client_for):
    mine = log(fw, checked="巡查A1")
    theirs = log(fw, actor=fw.grid_a2_worker, grid=fw.grid_a2, checked="巡查A2")
    client = client_for(fw.director)
    page = client.get(reverse("fieldwork:patrols"), {"worker": fw.grid.pk}).content.decode()
    assert "巡查A1" in page and "巡查A2" not in page
    page = client.get(reverse("fieldwork:patrols"), {"grid": fw.grid_a2.pk}).content.decode()
    assert "巡查A2" in page and "巡查A1" not in page
    assert client.get(reverse("fieldwork:patrol", args=[mine.pk])).status_code == 200
    assert client.get(reverse("fieldwork:patrol", args=[theirs.pk])).status_code == 200


# --- gaps -----------------------------------------------------------------------------------


def test_a_gap_is_flagged_after_n_days_without_a_patrol():
    today = date(2026, 11, 24)
    assert not rules.patrol_gap(today - timedelta(days=6), today, 7)
    assert rules.patrol_gap(today - timedelta(days=7), today, 7)
    assert rules.patrol_gap(None, today, 7)


def test_the_overview_flags_grids_without_a_recent_patrol(fw, client_for, settings):
    settings.YIMEN_PATROL_GAP_DAYS = 7
    now = timezone.now()
    log(fw, started_at=now - timedelta(days=5, hours=1), ended_at=now - timedelta(days=5))
    log(fw, actor=fw.grid_b, grid=fw.grid_b1, started_at=now - timedelta(days=8, hours=1),
        ended_at=now - timedelta(days=8))  # fmt: skip
    rows = {row.grid.code: row for row in services.grid_overview(fw.director, timezone.localdate())}
    assert not rows["CA-01"].gap and rows["CB-01"].gap and rows["CA-02"].gap
    assert rows["CA-01"].worker == fw.grid and rows["CA-02"].worker is None
    page = client_for(fw.desk).get(reverse("fieldwork:index")).content.decode()
    assert "1 grid had no patrol in the last 7 days." in page  # CA-02; CB-01 is not theirs
    assert "柳岸一网格" not in page


def test_the_overview_and_the_map_layers_cost_the_same_queries_for_more_grids(fw, client_for):
    client = client_for(fw.director)

    def more_grids(numbers):
        for n in numbers:
            grid = JurisdictionFactory(code=f"CA-0{n}", level=Level.GRID, parent=fw.community_a,
                                       polygon=square(120.0, 30.06, 120.01, 30.07))  # fmt: skip
            worker = UserFactory(role=Role.GRID, jurisdiction=grid)
            services.assign_worker(grid, actor=fw.director, worker=worker)
            found = services.NewFinding(
                "问题", "30.065", "120.005", becomes=services.Becomes.CASE, category=fw.neighbour
            )
            log(fw, actor=worker, grid=grid, findings=[found])

    def cost(name):
        client.get(reverse(name))  # sessions and caches settle on the first request
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        return len(queries)

    names = ("fieldwork:index", "fieldwork:map_grids", "fieldwork:map_cases", "fieldwork:patrols")
    more_grids([3])
    before = {name: cost(name) for name in names}
    more_grids(range(4, 9))
    assert {name: cost(name) for name in names} == before


# --- screening campaigns ----------------------------------------------------------------


@pytest.fixture
def campaign(fw):
    today = timezone.localdate()
    return services.create_campaign(
        actor=fw.director, kind=CampaignKind.SPECIAL, starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=5), grids=[fw.grid_a1, fw.grid_a2, fw.grid_b1],
        checklist="邻里纠纷\n拖欠工资\n消防通道",
    )  # fmt: skip


def report_of(campaign, grid):
    return CampaignGrid.objects.get(campaign=campaign, grid=grid)


def test_a_campaign_shows_which_grids_have_and_have_not_reported(fw, campaign, client_for):
    client = client_for(fw.grid)
    row = report_of(campaign, fw.grid_a1)
    url = reverse("fieldwork:report", args=[campaign.pk, row.pk])
    assert client.post(url, {"nothing_found": "1"}).status_code == 302
    services.report_screening(
        report_of(campaign, fw.grid_b1), actor=fw.grid_b,
        findings=[services.NewScreeningFinding("两户因排水沟问题发生争执", fw.neighbour)],
    )  # fmt: skip

    response = client_for(fw.director).get(reverse("fieldwork:campaign", args=[campaign.pk]))
    page = response.content.decode()
    a1, a2, b1 = (report_of(campaign, g) for g in (fw.grid_a1, fw.grid_a2, fw.grid_b1))
    assert f'<tr id="grid-{a1.pk}" class="reported">' in page
    assert f'<tr id="grid-{b1.pk}" class="reported">' in page
    assert f'<tr id="grid-{a2.pk}" class="not-reported">' in page
    assert "2 of 3" in page and "Checked, nothing found" in page
    case = Case.objects.get()
    assert case.channel == Channel.SCREENING and case.jurisdiction == fw.grid_b1
    assert case.receipt_number in page
    assert timezone.localtime(a1.reported_at).strftime("%Y-%m-%d %H:%M") in page

    sheet = load_workbook(BytesIO(client_for(fw.director).get(
        reverse("fieldwork:report_xlsx", args=[campaign.pk])).content)).active  # fmt: skip
    table = {row[0]: row for row in sheet.iter_rows(values_only=True) if row}
    assert table["桂花一网格"][2] == "Yes" and table["桂花一网格"][5] == "Checked, nothing found"
    assert table["桂花二网格"][2] == "No" and table["桂花二网格"][3] is None
    assert table["柳岸一网格"][6] == case.receipt_number
    pdf = client_for(fw.director).get(reverse("fieldwork:report_pdf", args=[campaign.pk]))
    words = pdf_words(pdf.content)
    assert "Gridsreported:2of3" in words and case.receipt_number in words


def test_a_campaign_is_created_over_the_chosen_grids(fw, client_for):
    client = client_for(fw.director)
    form = client.get(reverse("fieldwork:campaign_new")).content.decode()
    assert form.count("checked") >= 3  # every grid the director serves, chosen at first
    data = {
        "kind": "holiday", "title": "", "starts_on": "2026-09-28", "ends_on": "2026-10-08",
        "grids": [fw.grid_a1.pk, fw.grid_b1.pk], "checklist": "燃气安全\n烟花爆竹",
    }  # fmt: skip
    response = client.post(reverse("fieldwork:campaign_new"), data)
    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("fieldwork:campaign", args=[campaign.pk])
    assert campaign.title == "Holiday screening 2026-09-28 ~ 2026-10-08"
    assert campaign.checklist_items == ["燃气安全", "烟花爆竹"]
    assert Event.objects.filter(action="fieldwork.campaign.created").exists()
    assert client_for(fw.grid).get(reverse("fieldwork:campaign_new")).status_code == 403


def test_each_grid_reports_once_and_only_its_grid_worker(fw, campaign):
    row = report_of(campaign, fw.grid_a1)
    with pytest.raises(NotAllowed):
        services.report_screening(row, actor=fw.desk)
    with pytest.raises(NotAllowed):
        services.report_screening(row, actor=fw.grid_b)
    services.report_screening(row, actor=fw.grid)
    with pytest.raises(WorkflowError, match="already reported"):
        services.report_screening(
            row, actor=fw.grid, findings=[services.NewScreeningFinding("迟报", fw.neighbour)]
        )
    assert not Case.objects.exists()


def test_a_campaign_needs_grids_the_organiser_serves_and_a_sound_period(fw):
    today = date(2026, 11, 24)
    with pytest.raises(Invalid) as refused:
        services.create_campaign(actor=fw.director, kind=CampaignKind.HOLIDAY, starts_on=today,
                                 ends_on=today - timedelta(days=1), grids=[])  # fmt: skip
    assert set(refused.value.fields) == {"ends_on", "grids"}
    organiser_b = UserFactory(role=Role.DIRECTOR, jurisdiction=fw.community_b)
    with pytest.raises(Invalid):
        services.create_campaign(actor=organiser_b, kind=CampaignKind.SPECIAL, starts_on=today,
                                 ends_on=today, grids=[fw.grid_a1])  # fmt: skip
    with pytest.raises(NotAllowed):
        services.create_campaign(actor=fw.grid, kind=CampaignKind.SPECIAL, starts_on=today,
                                 ends_on=today, grids=[fw.grid_a1])  # fmt: skip


def test_the_next_routine_campaign_starts_the_day_after_the_last_one_ended(
    fw, client_for, settings
):
    settings.YIMEN_SCREENING_ROUTINE_DAYS = 15
    today = timezone.localdate()
    with pytest.raises(Invalid):
        services.create_next_routine(actor=fw.director, today=today)
    first = services.create_campaign(
        actor=fw.director, kind=CampaignKind.ROUTINE, starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 15), grids=[fw.grid_a1, fw.grid_b1], checklist="邻里纠纷",
    )  # fmt: skip
    response = client_for(fw.director).post(reverse("fieldwork:next_routine"))
    following = Campaign.objects.exclude(pk=first.pk).get()
    assert response["Location"] == reverse("fieldwork:campaign", args=[following.pk])
    assert (following.starts_on, following.ends_on) == (date(2026, 11, 16), date(2026, 11, 30))
    assert following.kind == CampaignKind.ROUTINE and following.checklist == "邻里纠纷"
    assert set(following.grids.values_list("grid__code", flat=True)) == {"CA-01", "CB-01"}
    assert services.next_routine_period(fw.director, today)[0] == date(2026, 12, 1)


def test_screening_coverage_is_reported_grids_over_grids_in_scope(fw, campaign):
    services.report_screening(report_of(campaign, fw.grid_a1), actor=fw.grid)
    services.report_screening(report_of(campaign, fw.grid_b1), actor=fw.grid_b)
    due = Period(campaign.ends_on.replace(day=1), campaign.ends_on + timedelta(days=31))
    assert screening_coverage(fw.director, due) == (2, 3)
    assert screening_coverage(fw.desk, due) == (1, 2)  # community A: A1 reported, A2 not
    assert screening_coverage(fw.desk_b, due) == (1, 1)
    before = Period(campaign.ends_on - timedelta(days=60), campaign.ends_on - timedelta(days=1))
    assert screening_coverage(fw.director, before) == (0, 0)  # not due in that period


# --- grid boundaries ------------------------------------------------------------------------


def feature(code, geometry):
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


BOWTIE = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.04, 30.04], [120.04, 30.0],
                                              [120.0, 30.04], [120.0, 30.0]]]}  # fmt: skip
OPEN_RING = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.04, 30.0], [120.04, 30.04],
                                                 [120.0, 30.04]]]}  # fmt: skip


def test_an_import_names_every_bad_feature_and_writes_nothing(fw, client_for):
    events = Event.objects.count()
    data = collection(
        feature("CA-01", square(120.0, 30.0, 120.04, 30.04)),  # good
        feature("CA-02", BOWTIE),
        feature("CA-02", square(120.05, 30.0, 120.1, 30.05)),
        feature("CB-01", OPEN_RING),
        feature("CA-01x", square(120.0, 30.0, 120.01, 30.01)),
        feature("", square(120.0, 30.0, 120.01, 30.01)),
    )
    more = collection(feature("CA-01", square(120.0, 30.0, 120.2, 30.05)))  # beyond community A
    with pytest.raises(BoundaryError) as refused:
        import_grid_boundaries(data, actor=fw.director)
    problems = refused.value.problems
    assert len(problems) == 5
    assert problems[0].startswith("Feature 2 (CA-02): The boundary crosses itself")
    assert problems[1] == "Feature 3 (CA-02): the grid is named twice in the file."
    assert problems[2].startswith("Feature 4 (CB-01): Each ring must be closed")
    assert problems[3] == "Feature 5 (CA-01x): no grid with this code in your jurisdiction."
    assert problems[4] == "Feature 6 (?): no property “code” names its grid."
    with pytest.raises(BoundaryError) as outside:
        import_grid_boundaries(more, actor=fw.director)
    assert outside.value.problems == ["Feature 1 (CA-01): the boundary lies outside 桂花社区."]
    fw.grid_a1.refresh_from_db()
    assert fw.grid_a1.polygon == GRID_A1 and Event.objects.count() == events

    page = client_for(fw.director).post(
        reverse("fieldwork:import"), {"file": SimpleUploadedFile("grids.geojson", data)}
    )
    assert page.status_code == 400 and "Feature 4 (CB-01)" in page.content.decode()


def test_a_good_import_writes_every_boundary_in_one_audited_step(fw, client_for):
    drawn_b = square(121.0, 31.0, 121.01, 31.01)  # community B has no boundary to lie in
    data = collection(
        feature("CA-01", square(120.0, 30.0, 120.04, 30.04)), feature("CB-01", drawn_b)
    )
    response = client_for(fw.director).post(
        reverse("fieldwork:import"), {"file": SimpleUploadedFile("grids.geojson", data)}
    )
    assert response.status_code == 302
    fw.grid_b1.refresh_from_db()
    assert fw.grid_b1.polygon == drawn_b
    assert Event.objects.filter(action="fieldwork.grid.boundary_imported").count() == 2
    assert client_for(fw.grid).get(reverse("fieldwork:import")).status_code == 403
    with pytest.raises(BoundaryError):  # community B's administrator cannot touch A's grid
        import_grid_boundaries(collection(feature("CA-01", GRID_A1)), actor=fw.admin_b)


# --- scoping --------------------------------------------------------------------------------


@pytest.fixture
def community_a_work(fw):
    """A patrol with a photo and a case, and a campaign of community A's grids only."""
    patrol = log(fw, findings=[
        services.NewFinding("A区问题", *INSIDE_A1, photos=[png()], becomes=services.Becomes.CASE,
                            category=fw.neighbour),
    ])  # fmt: skip
    today = timezone.localdate()
    campaign = services.create_campaign(actor=fw.director, kind=CampaignKind.SPECIAL,
                                        starts_on=today, ends_on=today,
                                        grids=[fw.grid_a1, fw.grid_a2])  # fmt: skip
    return SimpleNamespace(patrol=patrol, finding=patrol.findings.get(), campaign=campaign)


def test_community_b_sees_nothing_of_community_a(fw, community_a_work, client_for):
    a = community_a_work
    client = client_for(fw.desk_b)
    for name, args in (
        ("fieldwork:grid", [fw.grid_a1.pk]),
        ("fieldwork:patrol", [a.patrol.pk]),
        ("fieldwork:photo", [a.finding.photos.get().pk]),
        ("fieldwork:campaign", [a.campaign.pk]),
        ("fieldwork:report_xlsx", [a.campaign.pk]),
        ("fieldwork:report_pdf", [a.campaign.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name in ("fieldwork:index", "fieldwork:patrols", "fieldwork:campaigns", "fieldwork:map"):
        page = client.get(reverse(name)).content.decode()
        assert "桂花" not in page and "A区问题" not in page, name
    grids = client.get(reverse("fieldwork:map_grids")).json()["features"]
    cases = client.get(reverse("fieldwork:map_cases")).json()["features"]
    assert [f["properties"]["code"] for f in grids] == [] and cases == []
    assert client.post(reverse("fieldwork:raise_case", args=[a.finding.pk])).status_code == 404


def test_the_map_layers_are_the_users_grids_and_open_cases(fw, community_a_work, client_for):
    client = client_for(fw.desk)
    grids = client.get(reverse("fieldwork:map_grids")).json()["features"]
    assert [f["properties"]["code"] for f in grids] == ["CA-01", "CA-02"]
    assert grids[0]["properties"]["worker"] == str(fw.grid)
    cases = client.get(reverse("fieldwork:map_cases")).json()["features"]
    case = community_a_work.finding.case
    assert [f["properties"]["number"] for f in cases] == [case.receipt_number]
    assert cases[0]["geometry"]["coordinates"] == [120.02, 30.02]
    assert "parties" not in cases[0]["properties"]
    other = client.get(reverse("fieldwork:map_cases"), {"category": "labour"}).json()
    assert other["features"] == []
    hazards = client.get(reverse("fieldwork:map_hazards"))
    assert hazards.status_code == 200 and hazards.json()["type"] == "FeatureCollection"


def test_a_street_campaign_shows_community_b_only_its_own_grid(fw, campaign, client_for):
    page = client_for(fw.desk_b).get(reverse("fieldwork:campaign", args=[campaign.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "柳岸一网格" in text
    assert "桂花一网格" not in text and "桂花二网格" not in text and "0 of 1" in text


def test_the_grid_page_shows_its_matters_patrols_and_reports(fw, community_a_work, client_for):
    a = community_a_work
    services.report_screening(report_of(a.campaign, fw.grid_a1), actor=fw.grid)
    page = client_for(fw.director).get(reverse("fieldwork:grid", args=[fw.grid_a1.pk]))
    text = page.content.decode()
    assert a.finding.case.receipt_number in text and "巡查楼道" in text
    assert a.campaign.title in text and "Checked, nothing found" in text


def test_only_a_grid_worker_serving_the_grid_is_named_for_it(fw):
    with pytest.raises(Invalid):
        services.assign_worker(fw.grid_a1, actor=fw.director, worker=fw.grid_b)
    with pytest.raises(NotAllowed):
        services.assign_worker(fw.grid_a1, actor=fw.desk, worker=fw.grid)
    services.assign_worker(fw.grid_a2, actor=fw.director, worker=fw.grid_a2_worker)
    assert services.default_grid(fw.grid_a2_worker) == fw.grid_a2


# --- the patrol register ------------------------------------------------------------------


def test_the_patrol_register_lists_each_patrol_with_what_it_raised(
    fw, community_a_work, client_for
):
    ledger = LEDGERS["patrols"]
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    log(fw, actor=fw.grid_b, grid=fw.grid_b1, checked="巡查B1")
    rows = list(ledger.rows(fw.director, period, {}))
    assert [row.checked for row in rows] == ["巡查楼道", "巡查B1"]
    values = ledger.values(rows[0])
    assert values[1] == str(fw.grid) and values[2] == "桂花一网格"
    assert values[3] == "09:00–10:00" and values[5] == 1
    assert values[6] == community_a_work.finding.case.receipt_number
    assert [r.checked for r in ledger.rows(fw.desk_b, period, {})] == ["巡查B1"]
    assert [r.checked for r in ledger.rows(fw.director, period, {"grid": fw.grid_b1})] == ["巡查B1"]
    page = client_for(fw.grid).get(
        reverse("ledgers:ledger", args=["patrols"]),
        {"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    assert page.status_code == 200 and "巡查楼道" in page.content.decode()
    assert "巡查B1" not in page.content.decode()
