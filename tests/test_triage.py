"""Category suggestions: on intake, recorded next to the routing choice, and never a crash."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category, Complexity
from yimen.triage import services
from yimen.triage.models import RunStatus, Source, Suggestion, TrainingRun
from yimen.triage.rules import rule_scores

pytestmark = pytest.mark.usefixtures("english")

TEXTS = {
    "labour": ["老板拖欠工资三个月", "工地欠薪不给", "公司辞退不给补偿加班费", "劳务费一直拖欠"],
    "neighbour": ["楼上漏水到我家", "隔壁装修噪音太大", "邻居堵门占道", "楼下烧烤油烟噪音"],
    "environment": ["小区垃圾没人清理很臭", "河道污水排放", "工厂粉尘污染", "焚烧垃圾冒黑烟"],
}


@pytest.fixture
def model_file(settings, tmp_path):
    settings.YIMEN_TRIAGE_MODEL = str(tmp_path / "triage" / "model.pkl")
    return tmp_path / "triage" / "model.pkl"


def register(w, title, description="", category="other", place=None):
    return wf.register_case(
        actor=w.desk, title=title, description=description or title,
        category=Category.objects.get(code=category), channel="visit",
        jurisdiction=place or w.community_a,
        parties=[wf.NewParty("王芳", "applicant", "13800000001")],
    ).case  # fmt: skip


def test_keyword_rules_rank_by_the_words_that_appear():
    categories = [("labour", "劳动争议"), ("neighbour", "邻里纠纷"), ("custom", "噪音扰民")]
    ranked = rule_scores("楼上噪音扰民，还拖欠工资", categories)
    assert [code for code, _p in ranked][:1] in (["custom"], ["neighbour"])
    assert {code for code, _p in ranked} == {"labour", "neighbour", "custom"}
    assert abs(sum(p for _c, p in ranked) - 1) < 0.01
    assert rule_scores("", categories) == []


def test_without_a_model_the_rules_suggest_and_say_so(cases_world, model_file):
    w = cases_world
    suggested = services.suggest("工资被拖欠", "老板拖欠工资三个月了", w.community_a)
    assert suggested.source == Source.RULES and "No model" in suggested.reason
    assert suggested.first.code == "labour"


@pytest.mark.parametrize("text", ["", "a", "！", "x" * 20_000, "Unpaid wages 工资", "hello world"])
def test_odd_text_gets_a_clear_state_not_a_crash(cases_world, model_file, text):
    suggested = services.suggest(text, text, cases_world.community_a)
    assert suggested.categories or suggested.reason


def test_a_corrupt_model_file_falls_back_to_the_rules_and_says_so(
    cases_world, model_file, client_for
):
    model_file.parent.mkdir(parents=True)
    model_file.write_bytes(b"\x00not a model at all")
    suggested = services.suggest("拖欠工资", "", cases_world.community_a)
    assert suggested.source == Source.RULES and "cannot be read" in suggested.reason
    page = client_for(cases_world.director).get("/triage/").content.decode()
    assert "cannot be read" in page


def test_the_suggestion_is_recorded_and_held_against_the_routing_choice(
    cases_world, model_file, client_for
):
    w = cases_world
    case = register(w, "老板拖欠工资", "工地老板拖欠工资三个月。", category="labour")
    suggestion = Suggestion.objects.get(case=case)
    assert suggestion.codes[0] == "labour" and suggestion.source == Source.RULES
    unit = wf.suggestion_for(case).unit
    wf.route_case(case, actor=w.director, unit=unit, complexity=Complexity.GENERAL)
    suggestion.refresh_from_db()
    assert (suggestion.chosen_category.code, suggestion.chosen_unit) == ("labour", unit)
    [month] = services.accuracy_by_month(Suggestion.objects.all())
    assert (month.decided, month.first_right, month.top_right) == (1, 1, 1)
    page = client_for(w.director).get("/triage/").content.decode()
    assert "100%" in page
    # Another community's director-level view counts none of it.
    assert (
        services.accuracy_by_month(
            Suggestion.objects.filter(case__in=Case.objects.for_user(w.desk_b))
        )
        == []
    )


def test_too_few_closed_cases_keep_the_rules(cases_world, model_file):
    register(cases_world, "老板拖欠工资")
    run = services.train_from_cases()
    assert run.status == RunStatus.TOO_FEW and "Keyword rules" in run.message
    assert not model_file.exists()


def test_training_on_closed_cases_makes_the_model_answer(cases_world, model_file, client_for):
    pytest.importorskip("yimen.triage.model")
    w = cases_world
    now = timezone.now()
    rows = []
    for code, texts in TEXTS.items():
        for i in range(services.MIN_CASES // len(TEXTS) + 2):
            text = texts[i % len(texts)]
            rows.append(Case(
                receipt_number=f"T-{code}-{i}", tracking_code_hash="x", title=text,
                description=f"{text}，第{i}次反映。", category=Category.objects.get(code=code),
                channel="visit", jurisdiction=w.community_a, received_at=now - timedelta(days=i),
                status="closed",
            ))  # fmt: skip
    Case.objects.bulk_create(rows)
    run = services.train_from_cases()
    assert run.status == RunStatus.TRAINED, run.message
    assert TrainingRun.objects.get() == run
    suggested = services.suggest("公司拖欠我的工资", "", w.community_a)
    assert suggested.source == Source.MODEL and suggested.first.code == "labour"
    assert 0 < suggested.categories[0][1] <= 1 and len(suggested.categories) <= 3
    assert "trained model" in client_for(w.director).get("/triage/").content.decode()


def test_only_directors_admins_and_supervisors_see_the_page(cases_world, client_for):
    w = cases_world
    assert client_for(w.desk).get("/triage/").status_code == 403
    assert client_for(w.director).get("/triage/").status_code == 200
    assert client_for(w.desk).post("/triage/train/").status_code == 403
