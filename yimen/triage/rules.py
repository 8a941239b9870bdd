"""Keyword rules: the suggestion while the center has too few closed cases to learn from.

Each default category has words residents use for it. A category an administrator adds
is matched by the words of its own name. The score is the share of keyword hits, so it
reads like the model's confidence but claims no more than "these words appeared".
"""

from collections.abc import Iterable

KEYWORDS: dict[str, tuple[str, ...]] = {
    "family": (
        "离婚",
        "婚姻",
        "夫妻",
        "赡养",
        "抚养",
        "家暴",
        "子女",
        "老人",
        "彩礼",
        "遗产",
        "继承",
    ),
    "neighbour": ("邻居", "楼上", "楼下", "漏水", "噪音", "噪声", "隔壁", "渗水", "堵门", "占道"),
    "property": ("物业", "物业费", "电梯", "停车位", "业委会", "小区", "保安", "维修基金"),
    "compensation": ("赔偿", "损坏", "受伤", "医药费", "撞", "交通事故", "咬伤", "损失"),
    "land": ("宅基地", "土地", "房屋", "拆迁", "征收", "承包地", "确权", "界址", "违建"),
    "labour": ("工资", "欠薪", "拖欠", "劳动", "社保", "工伤", "辞退", "加班", "劳务费", "用工"),
    "public_order": ("打架", "斗殴", "盗窃", "偷", "诈骗", "赌博", "吸毒", "威胁", "报警", "传销"),
    "hazard": ("隐患", "燃气", "漏气", "电线", "私拉", "消防", "火灾", "倒塌", "危房", "充电"),
    "environment": ("垃圾", "污水", "臭", "环境", "卫生", "排污", "油烟", "粉尘", "污染", "焚烧"),
    "urban": ("路灯", "道路", "井盖", "下水道", "自来水", "停水", "停电", "施工", "管道", "市政"),
    "social": ("低保", "救助", "补贴", "养老金", "医保", "残疾", "困难", "优抚", "五保"),
    "staff_complaint": ("工作人员", "态度", "推诿", "不作为", "刁难", "索要", "办事员"),
}


def rule_scores(text: str, categories: Iterable[tuple[str, str]]) -> list[tuple[str, float]]:
    """``(code, share of hits)`` for the categories whose words appear, best first.

    ``categories`` are ``(code, name)`` pairs of the active categories.
    """
    hits: dict[str, int] = {}
    for code, name in categories:
        words = KEYWORDS.get(code) or tuple(_name_words(name))
        count = sum(text.count(word) for word in words if word)
        if count:
            hits[code] = count
    total = sum(hits.values())
    ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)
    return [(code, round(count / total, 3)) for code, count in ranked]


def _name_words(name: str) -> list[str]:
    """A custom category's name as two-character words: "噪音扰民" → 噪音, 音扰, 扰民."""
    core = name.removesuffix("纠纷").removesuffix("问题").removesuffix("事项")
    return [core[i : i + 2] for i in range(len(core) - 1)] or [core]
