"""The default inspection checklists, per type of place (editable afterwards).

The items follow what township safety offices check on their rounds: fire safety, gas,
electrical wiring, exits and evacuation, crowd control, and on building sites the site
itself. ``seed`` skips a type that already has items, so it can run again (tests that
empty the tables load it once more).
"""

from django.db import migrations

FIRE = [
    "消防通道畅通，无占用、堵塞、封闭",
    "灭火器配置数量足够，压力正常，在有效期内",
    "消火栓完好，水带、水枪齐全，无遮挡",
    "疏散指示标志和应急照明完好有效",
    "无违规存放易燃易爆物品",
]
GAS = [
    "燃气管道、阀门、软管无泄漏、无老化",
    "燃气报警装置安装到位且工作正常",
    "液化气钢瓶不超量存放，不在地下室、半地下室使用",
]
ELECTRICAL = [
    "无私拉乱接电线，无裸露线头",
    "配电箱完好、加锁，周边无可燃物",
    "无电动自行车室内停放、飞线充电",
]
EXITS = [
    "安全出口、疏散通道畅通，未上锁、未堵塞",
    "疏散门向疏散方向开启，无卷帘门、转门代替",
    "窗户无影响逃生的防盗网、广告牌",
]
CROWD = [
    "人员密集场所限流措施落实，不超过核定人数",
    "大型活动有安全预案和现场安保人员",
    "重点部位有视频监控，值班人员在岗",
    "学校周边交通疏导、护学岗落实",
]
HAZARDOUS = [
    "危险化学品（油品、燃气、烟花爆竹）储存不超量，分类存放",
    "储存场所防雷、防静电设施完好",
    "作业人员持证上岗，安全管理制度上墙",
    "安全警示标志齐全，严禁烟火",
]
SITE = [
    "施工现场围挡封闭，出入口有人值守",
    "脚手架、临边、洞口防护到位",
    "起重机械、塔吊有检测合格证明",
    "作业人员佩戴安全帽等防护用品",
    "动火作业审批手续齐全，有专人看护",
]

# Each type of place: its topics in order, and the items of each.
CHECKLISTS = {
    "crowded": [("fire", FIRE), ("electrical", ELECTRICAL), ("exits", EXITS), ("crowd", CROWD)],
    "hazardous": [("storage", HAZARDOUS), ("fire", FIRE), ("gas", GAS), ("electrical", ELECTRICAL),
                  ("exits", EXITS)],
    "rental": [("fire", FIRE), ("gas", GAS), ("electrical", ELECTRICAL), ("exits", EXITS)],
    "construction": [("site", SITE), ("fire", FIRE), ("electrical", ELECTRICAL)],
    "other": [("fire", FIRE), ("gas", GAS), ("electrical", ELECTRICAL), ("exits", EXITS)],
}  # fmt: skip


def seed(apps, schema_editor):
    ChecklistItem = apps.get_model("safety", "ChecklistItem")
    for place_type, topics in CHECKLISTS.items():
        if ChecklistItem.objects.filter(place_type=place_type).exists():
            continue
        position = 0
        for topic, texts in topics:
            for text in texts:
                position += 1
                ChecklistItem.objects.create(
                    place_type=place_type, topic=topic, text=text, position=position
                )


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
