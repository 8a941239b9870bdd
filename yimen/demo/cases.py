"""A few matters in different states, so every demo login has something waiting."""

from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category
from yimen.org.models import Jurisdiction, Unit, User

A, B = "330102001001", "330102001002"

# key, registered by, category, place, title, account, parties, extra fields
MATTERS = [
    ("leak", "desk", "neighbour", A, "楼上卫生间漏水",
     "302室卫生间长期漏水至202室，协商多次未果，请求调解。",
     [("王芳", "applicant", "13812345678"), ("刘伟", "respondent", "13987654321")],
     {"address": "桂花苑3幢2单元202室"}),
    ("parking", "desk", "property", A, "小区车位被长期占用",
     "业主反映物业将公共车位出租给外来车辆。",
     [("陈静", "applicant", "13600001111")],
     {"address": "桂花苑小区地面停车场", "channel": "call"}),
    ("noise", "desk", "public_order", A, "夜间烧烤摊噪音扰民",
     "青石路夜市烧烤摊经营至凌晨两点，噪音油烟扰民。",
     [("赵敏", "applicant", "13711112222")], {"channel": "letter"}),
    ("gas", "grid1", "hazard", A + "-01", "燃气管道外露锈蚀",
     "桂花苑5幢东侧燃气立管锈蚀严重，有漏气风险。",
     [], {"channel": "grid", "is_urgent": True, "address": "桂花苑5幢东侧"}),
    ("subsidy", "desk", "social", A, "咨询低保申请材料", "居民咨询低保申请需准备的材料。",
     [("孙丽", "applicant", "13500003333")],
     {"settle_on_the_spot": True, "result": "当场告知所需材料清单并发放办事指南。"}),
    ("care", "desk_b", "family", B, "赡养老人费用分担", "三兄妹对母亲赡养费分担有争议。",
     [("周梅", "applicant", "13300004444"), ("周强", "respondent", "13300005555")], {}),
]  # fmt: skip


def load_demo_cases() -> int:
    """Register the demo matters and move some along, through the real workflow.

    Only on an empty case table, so a second run changes nothing.
    """
    if Case.objects.exists():
        return 0
    users = {u.username: u for u in User.objects.all()}
    places = {j.code: j for j in Jurisdiction.objects.all()}
    units = {u.name: u for u in Unit.objects.all()}
    categories = {c.code: c for c in Category.objects.all()}
    cases = {}
    for key, username, category, place, title, account, parties, extra in MATTERS:
        extra = dict(extra)
        cases[key] = wf.register_case(
            actor=users[username],
            category=categories[category],
            title=title,
            description=account,
            channel=extra.pop("channel", "visit"),
            jurisdiction=places[place],
            parties=[wf.NewParty(*party) for party in parties],
            **extra,
        ).case
    director, mediator = users["director"], users["mediator"]
    wf.route_case(
        cases["parking"], actor=director, unit=units["桂花社区人民调解委员会"], complexity="general"
    )
    wf.accept_case(cases["parking"], actor=mediator)
    wf.record_action(
        cases["parking"], actor=mediator, kind="visit", note="约谈物业项目经理，查看车位租赁台账。"
    )
    wf.route_case(
        cases["noise"],
        actor=director,
        unit=units["青石派出所"],
        co_units=[units["青石街道综治办"]],
        complexity="general",
    )
    return len(cases)
