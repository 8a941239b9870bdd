"""Full-text search of cases: Chinese words inside longer phrases, ranked, filtered, scoped.

Every search starts from ``Case.objects.for_user``: desk_b of community B must neither find
nor count community A's cases, whatever is typed, on the page and through the API.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yimen.api.tokens import issue_token
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category
from yimen.search.index import reindex_cases
from yimen.search.models import CaseIndex
from yimen.search.query import TextQuery, receipt_prefix, search_cases, snippets
from yimen.search.segment import Group, index_terms, query_groups

PHONE = "13812345678"
ODD_QUERIES = [
    " ",
    "a",
    "水",
    "的",
    "！！！",
    "...",
    '"',
    "'",
    "*",
    "-",
    "NEAR",
    'NEAR("楼道" 杂物)',
    "楼道 OR 杂物 AND NOT -x",
    "(杂物",
    "杂物*",
    "title:杂物",
    "^杂物",
    "\\",
    "%_",
    "杂物" * 50,
    "z" * 100,
    "ＷｉＦｉ坏了",
    "WiFi 3楼 abc",
    "😀杂物",
    "YM-",
    "YM-2026-",
]


def register(w, *, actor=None, category="neighbour", **kwargs) -> Case:
    defaults = {
        "title": "楼上漏水",
        "description": "楼上卫生间漏水到楼下。",
        "channel": "visit",
        "jurisdiction": w.community_a,
        "parties": [wf.NewParty("王芳", "applicant", PHONE)],
    }
    defaults.update(kwargs)
    return wf.register_case(
        actor=actor or w.desk, category=Category.objects.get(code=category), **defaults
    ).case


def handled(w, case) -> Case:
    """Routed to community A's committee and accepted by its mediator."""
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity="general")
    wf.accept_case(case, actor=w.mediator)
    return case


def page(client, **params):
    response = client.get(reverse("cases:list"), params)
    assert response.status_code == 200
    return response


def listed(client, **params) -> list[str]:
    return [c.receipt_number for c in page(client, **params).context["page"].object_list]


def api_list(user, **params):
    headers = {"Authorization": f"Bearer {issue_token(user)}"}
    response = Client(headers=headers).get("/api/v1/cases", params)
    assert response.status_code == 200, response.content
    return response.json()


def found(user, q, **filters) -> list[int]:
    return list(search_cases(Case.objects.for_user(user), q).filter(**filters).values_list(
        "pk", flat=True))  # fmt: skip


@pytest.fixture
def api_rate(settings):
    settings.YIMEN_API_RATE = ""


# --- the requirement: a word inside a longer phrase, never across jurisdictions ---------


def test_a_word_inside_a_longer_phrase_is_found_but_not_across_jurisdictions(
    cases_world, client_for, api_rate
):
    w = cases_world
    ours = register(w, title="楼道堆放杂物影响通行", description="三楼住户长期在楼道堆放纸箱。")
    theirs = register(w, actor=w.desk_b, jurisdiction=w.community_b, title="小区停车位纠纷",
                      description="业主占用他人停车位。")  # fmt: skip

    assert listed(client_for(w.desk), q="杂物") == [ours.receipt_number]
    assert listed(client_for(w.desk), q="车位") == []  # B's case, out of A's scope
    assert listed(client_for(w.director), q="车位") == [theirs.receipt_number]

    client_b = client_for(w.desk_b)
    for q in ("杂物", "楼道", "堆放杂物", "楼道堆放杂物影响通行", ours.receipt_number):
        response = page(client_b, q=q)
        assert response.context["page"].paginator.count == 0, q
        assert "case-list" not in response.content.decode()  # no table, not even empty
        body = api_list(w.desk_b, q=q)
        assert (body["count"], body["items"]) == (0, []), q
    assert listed(client_b, q="车位") == [theirs.receipt_number]
    assert [i["id"] for i in api_list(w.desk_b, q="车位")["items"]] == [theirs.pk]
    assert [i["id"] for i in api_list(w.desk, q="杂物")["items"]] == [ours.pk]


def test_unit_staff_find_only_their_units_cases(cases_world):
    w = cases_world
    theirs = register(w, category="public_order", title="酒后打架斗殴")
    wf.route_case(theirs, actor=w.director, unit=w.police, complexity="general")
    other = handled(w, register(w, title="邻居打架后调解"))
    assert found(w.unit, "打架") == [theirs.pk]
    assert set(found(w.director, "打架")) == {theirs.pk, other.pk}


# --- what is searched -----------------------------------------------------------------


def test_title_account_notes_and_result_are_searched(cases_world):
    w = cases_world
    in_title = register(w, title="垃圾清运不及时", description="无")
    in_account = register(w, title="投诉", description="小区门口的垃圾桶满了也没人清运")
    in_note = handled(w, register(w, title="噪音", description="晚上有噪音"))
    wf.record_action(in_note, actor=w.mediator, kind="visit", note="上门走访，约定施工时间")
    in_result = register(w, title="纠纷", description="两户因漏水争执")
    Case.objects.filter(pk=in_result.pk).update(result="双方签订赔偿协议书")
    reindex_cases([in_result.pk])

    assert found(w.desk, "清运") == [in_title.pk, in_account.pk]  # the title weighs more
    assert found(w.desk, "施工") == [in_note.pk]
    assert found(w.desk, "协议") == [in_result.pk]  # 协议 inside 协议书
    assert found(w.desk, "赔偿协议") == [in_result.pk]


def test_on_the_spot_result_is_searched(cases_world):
    w = cases_world
    spot = register(w, title="咨询", description="咨询低保政策", settle_on_the_spot=True,
                    result="当场解答了申请条件")  # fmt: skip
    assert found(w.desk, "解答") == [spot.pk]


def test_parties_names_and_phones_are_never_indexed(cases_world):
    w = cases_world
    case = register(w, parties=[wf.NewParty("诸葛晓明", "applicant", PHONE, "110101199001011234")])
    assert found(w.director, "诸葛晓明") == []
    assert found(w.director, "晓明") == []
    assert found(w.director, PHONE) == []
    assert found(w.director, "110101199001011234") == []
    row = _index_row(case.pk)
    assert "诸葛" not in row and PHONE not in row


def _index_row(pk) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT title || ' ' || body FROM search_caseindex WHERE rowid = %s",
                           [pk])  # fmt: skip
        else:
            cursor.execute("SELECT search_caseindex::text FROM search_caseindex WHERE rowid = %s",
                           [pk])  # fmt: skip
        row = cursor.fetchone()
    return row[0] if row else ""


# --- ranking ------------------------------------------------------------------------------


def test_more_matches_rank_first(cases_world):
    w = cases_world
    for n in range(4):  # other cases, so the words are not in most of them
        register(w, title=f"其他事项{n}", description="与本案无关的内容")
    once = register(w, title="邻里纠纷", description="因为噪音问题发生争执")
    title_and_account = register(w, title="噪音扰民", description="楼上深夜噪音，多次噪音投诉")
    assert found(w.desk, "噪音") == [title_and_account.pk, once.pk]


def test_between_equal_matches_the_newer_comes_first(cases_world):
    w = cases_world
    old = register(w, title="路灯不亮", description="小区路灯坏了")
    new = register(w, title="路灯不亮", description="小区路灯坏了")
    older = register(w, title="路灯不亮", description="小区路灯坏了")
    now = timezone.now()
    Case.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=200))
    Case.objects.filter(pk=older.pk).update(received_at=now - timedelta(days=800))
    assert found(w.desk, "路灯") == [new.pk, old.pk, older.pk]


def test_a_much_better_match_wins_over_a_newer_one(cases_world):
    w = cases_world
    for n in range(4):
        register(w, title=f"其他事项{n}", description="与本案无关的内容")
    better = register(w, title="占道经营", description="商户占道经营，占道摆摊")
    newer = register(w, title="投诉", description="门口有人占道")
    Case.objects.filter(pk=better.pk).update(received_at=timezone.now() - timedelta(days=30))
    assert found(w.desk, "占道") == [better.pk, newer.pk]


# --- with the other filters ----------------------------------------------------------------


def test_text_combines_with_status_and_category(cases_world, client_for, api_rate):
    w = cases_world
    registered = register(w, title="物业不修电梯", description="电梯停运一周")
    routed = register(w, title="电梯困人", category="public_order")
    wf.route_case(routed, actor=w.director, unit=w.police, complexity="general")
    register(w, title="水管爆裂")

    client = client_for(w.director)
    assert set(listed(client, q="电梯")) == {registered.receipt_number, routed.receipt_number}
    assert listed(client, q="电梯", status="routed") == [routed.receipt_number]
    assert listed(client, q="电梯", category="neighbour") == [registered.receipt_number]
    assert listed(client, q="电梯", status="routed", category="neighbour") == []
    assert listed(client, q="电梯", grid="CB") == []
    body = api_list(w.director, q="电梯", status="routed")
    assert [i["id"] for i in body["items"]] == [routed.pk] and body["count"] == 1


def test_search_orders_by_rank_unless_another_order_is_asked(cases_world, api_rate):
    w = cases_world
    for n in range(4):
        register(w, title=f"其他事项{n}", description="与本案无关的内容")
    best = register(w, title="井盖缺失", description="井盖丢失，井盖附近有人摔倒")
    newest = register(w, title="道路", description="路边井盖松动")
    Case.objects.filter(pk=best.pk).update(received_at=timezone.now() - timedelta(days=3))
    assert [i["id"] for i in api_list(w.desk, q="井盖")["items"]] == [best.pk, newest.pk]
    by_time = api_list(w.desk, q="井盖", ordering="-received_at")["items"]
    assert [i["id"] for i in by_time] == [newest.pk, best.pk]


# --- keeping the index ----------------------------------------------------------------------


def test_the_index_follows_edits_new_notes_and_deletion(cases_world):
    w = cases_world
    case = handled(w, register(w, title="广告牌松动", description="临街广告牌摇晃"))
    assert found(w.desk, "广告牌") == [case.pk]

    case.title, case.description = "树木倒伏", "台风后行道树倒伏"
    case.save()
    assert found(w.desk, "广告牌") == []
    assert found(w.desk, "倒伏") == [case.pk]

    wf.record_action(case, actor=w.mediator, kind="call", note="已联系园林部门清理")
    assert found(w.desk, "园林") == [case.pk]
    assert found(w.desk, "倒伏") == [case.pk]  # the older texts stay

    case.delete()
    assert not CaseIndex.objects.filter(case_id=case.pk).exists()
    assert found(w.desk, "倒伏") == []


def test_the_reindex_command_indexes_bulk_loaded_cases(cases_world):
    w = cases_world
    kept = register(w, title="违章搭建", description="楼顶违章搭建阳光房")
    template = Case.objects.get(pk=kept.pk)
    bulk = Case.objects.bulk_create(  # no signals: as a bulk load or import would
        [
            Case(
                receipt_number=f"YM-2020-{n:06d}",
                tracking_code_hash="x",
                title="违章建筑拆除",
                description="河边违章建筑",
                category=template.category,
                channel="visit",
                jurisdiction=w.community_a,
                received_at=timezone.now(),
            )  # fmt: skip
            for n in range(1, 4)
        ]
    )
    with connection.cursor() as cursor:  # and an index that lost a row
        cursor.execute("DELETE FROM search_caseindex WHERE rowid = %s", [kept.pk])
    assert found(w.desk, "违章") == []

    call_command("reindex_search", batch=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert set(found(w.desk, "违章")) == {kept.pk, *(c.pk for c in bulk)}
    assert set(found(w.desk, "拆除")) == {c.pk for c in bulk}


# --- snippets -------------------------------------------------------------------------------


def test_the_list_shows_marked_passages_of_the_original_text(cases_world, client_for):
    w = cases_world
    account = (
        "三楼住户长期在楼道堆放杂物，消防通道被占用<script>alert('x')</script>，"
        "多次劝说无果。" + "此后情况未见好转。" * 20
    )
    case = register(w, title="楼道堆放杂物", description=account)
    html = page(client_for(w.desk), q="杂物").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "楼道堆放<mark>杂物</mark>" in html  # the title, marked
    assert "长期在楼道堆放<mark>杂物</mark>，消防通道" in html  # as written, not as words
    assert "此后情况未见好转。" * 8 not in html  # a passage, not the whole account

    shown = snippets([case], "消防通道")[case.pk]
    assert "<mark>消防</mark><mark>通道</mark>" not in shown.passage
    assert "<mark>消防通道</mark>" in shown.passage
    assert str(shown.source) == str(Case._meta.get_field("description").verbose_name)


def test_a_passage_from_a_note_says_where_it_is_from(cases_world):
    w = cases_world
    case = handled(w, register(w, title="漏水", description="楼上漏水"))
    wf.record_action(case, actor=w.mediator, kind="visit", note="约请<b>物业</b>到场查看")
    shown = snippets([case], "物业")[case.pk]
    assert shown.passage == "约请&lt;b&gt;<mark>物业</mark>&lt;/b&gt;到场查看"
    assert shown.title == "漏水"


def test_full_width_text_is_found_and_marked_as_written(cases_world):
    w = cases_world
    case = register(w, title="ＷｉＦｉ信号差", description="３楼ＷｉＦｉ经常断线")
    assert found(w.desk, "wifi") == [case.pk]
    assert found(w.desk, "WiFi 断线") == [case.pk]
    shown = snippets([case], "wifi")[case.pk]
    assert shown.title == "<mark>ＷｉＦｉ</mark>信号差"


# --- odd inputs -----------------------------------------------------------------------------


def test_odd_queries_never_fail(cases_world, client_for, api_rate):
    w = cases_world
    case = register(w, title="楼道堆放杂物", description="WiFi坏了，3楼水管漏水")
    client = client_for(w.desk)
    for q in ODD_QUERIES:
        assert page(client, q=q).status_code == 200, q
        assert "count" in api_list(w.desk, q=q), q
        found(w.desk, q)
    assert listed(client, q="   ") == [case.receipt_number]  # nothing typed: everything
    assert listed(client, q="！！！") == []  # nothing to look for: nothing found
    assert listed(client, q="的") == []
    assert listed(client, q="水") == [case.receipt_number]  # 水管: a word starting with it
    assert listed(client, q="WiFi坏了") == [case.receipt_number]
    assert listed(client, q='"杂物"') == [case.receipt_number]
    assert listed(client, q="杂物 NEAR 楼道") == []  # NEAR is a word to look for
    too_long = client.get(reverse("cases:list"), {"q": "杂" * 101})
    assert too_long.context["page"].paginator.count == 0
    assert "q" in too_long.context["form"].errors


def test_a_receipt_number_finds_its_case(cases_world, client_for):
    w = cases_world
    case = register(w, title="咨询")
    register(w, title="另一件")
    number = case.receipt_number  # YM-2026-000001
    client = client_for(w.desk)
    assert listed(client, q=number) == [number]
    assert listed(client, q=number.lower()) == [number]
    assert listed(client, q=number.replace("-", "")) == [number]
    assert len(listed(client, q=number[:7])) == 2  # YM-2026: the year's cases
    assert listed(client_for(w.desk_b), q=number) == []


# --- the pieces -------------------------------------------------------------------------------


def test_segmentation_for_the_index_and_the_query():
    assert index_terms("楼道堆放杂物！") == ["楼道", "堆放", "杂物"]
    assert index_terms("小区停车位") == ["小区", "停车", "车位", "停车位"]
    assert index_terms("ＷｉＦｉ６坏了") == ["wifi", "6", "坏"]
    assert query_groups("停车位纠纷了") == (
        Group("word", ("停车位", "停车", "车位")),
        Group("word", ("纠纷",)),
    )
    assert query_groups("水") == (Group("prefix", ("水",)),)
    assert query_groups("！？…") == ()


def test_query_syntax_is_always_quoted():
    query = TextQuery(query_groups('停车位 "NEAR" 柳岸*'))
    assert query.fts5 == '("停车位" OR ("停车" AND "车位")) AND "near" AND "柳 岸"'
    assert query.tsquery == "('停车位' | ('停车' & '车位')) & 'near' & ('柳' <-> '岸')"
    assert TextQuery(query_groups("水")).fts5 == '"水"*'
    assert TextQuery(query_groups("水")).tsquery == "'水':*"


def test_receipt_prefixes():
    assert receipt_prefix("YM-2026-000123") == "YM-2026-000123"
    assert receipt_prefix(" ym2026000123 ") == "YM-2026-000123"
    assert receipt_prefix("ＹＭ-2026") == "YM-2026"
    assert receipt_prefix("YM") is None
    assert receipt_prefix("楼道") is None


def test_a_common_word_ranks_only_the_newest_matches_and_says_so(
    cases_world, client_for, monkeypatch
):
    from yimen.search import query

    monkeypatch.setattr(query, "RANKED_AT_MOST", 2)
    w = cases_world
    made = [register(w, title="路灯不亮", description="小区路灯坏了") for _ in range(3)]
    now = timezone.now()
    for age, case in enumerate(made):
        Case.objects.filter(pk=case.pk).update(received_at=now - timedelta(days=age))
    assert found(w.desk, "路灯") == [made[0].pk, made[1].pk]  # the oldest is left out
    page = client_for(w.desk).get(reverse("cases:list"), {"q": "路灯"}).content.decode()
    assert 'id="search-bound"' in page
    assert (
        'id="search-bound"'
        not in client_for(w.desk).get(reverse("cases:list"), {"q": "其他"}).content.decode()
    )


def test_registering_writes_the_index_row_once(cases_world):
    """The case's save and its first event's each ask for the row; it is written once, with
    both (``index.once_per_case``), in the registering transaction."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        case = register(cases_world, title="楼道堆放杂物", description="消防通道被占")
    sqls = [q["sql"] for q in queries]
    writes = [s for s in sqls if "INSERT" in s and "INTO search_caseindex" in s]
    assert len(writes) == 1
    assert found(cases_world.desk, "杂物") == [case.pk]
