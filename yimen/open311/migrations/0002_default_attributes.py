"""The extra questions the default categories ask through Open311; administrators add more.

Only public-space matters ask anything: a hazard asks whether anyone is in danger now (and
tells the resident to call the emergency numbers first), environment and urban matters ask
what kind of problem it is. Disputes ask nothing beyond the account of the matter.
"""

from django.db import migrations

YES_NO_UNSURE = [
    {"key": "yes", "name": "是", "name_en": "Yes"},
    {"key": "no", "name": "否", "name_en": "No"},
    {"key": "unsure", "name": "不确定", "name_en": "Not sure"},
]

ATTRIBUTES = {
    "hazard": [
        {
            "code": "emergency",
            "variable": False,
            "datatype": "string",
            "description": "如有人员正处于危险之中，请先拨打 110（报警）、119（火警）或 120（急救）。",
            "description_en": "If anyone is in danger right now, call 110 (police), "
            "119 (fire) or 120 (ambulance) first.",
        },
        {
            "code": "danger_now",
            "datatype": "singlevaluelist",
            "required": True,
            "description": "现在是否有人处于危险之中？",
            "description_en": "Is anyone in danger now?",
            "values": YES_NO_UNSURE,
        },
        {
            "code": "first_noticed",
            "datatype": "datetime",
            "description": "最早什么时候发现的？",
            "description_en": "When was it first noticed?",
            "datatype_description": "2026-09-28T08:00:00+08:00",
        },
    ],
    "environment": [
        {
            "code": "kinds",
            "datatype": "multivaluelist",
            "description": "是什么问题？（可多选）",
            "description_en": "What is the problem? (choose all that apply)",
            "values": [
                {"key": "garbage", "name": "垃圾堆积", "name_en": "Rubbish piling up"},
                {"key": "sewage", "name": "污水外溢", "name_en": "Sewage or waste water"},
                {"key": "noise", "name": "噪声", "name_en": "Noise"},
                {"key": "smell", "name": "异味", "name_en": "Smell"},
                {"key": "smoke", "name": "烟尘", "name_en": "Smoke or dust"},
                {"key": "other", "name": "其他", "name_en": "Other"},
            ],
        },
    ],
    "urban": [
        {
            "code": "facility",
            "datatype": "singlevaluelist",
            "description": "涉及哪类设施？",
            "description_en": "Which facility is it about?",
            "values": [
                {"key": "road", "name": "道路", "name_en": "Road or pavement"},
                {"key": "light", "name": "路灯", "name_en": "Street light"},
                {"key": "drain", "name": "排水", "name_en": "Drains or water"},
                {"key": "manhole", "name": "井盖", "name_en": "Manhole cover"},
                {"key": "other", "name": "其他", "name_en": "Other"},
            ],
        },
        {
            "code": "people_affected",
            "datatype": "number",
            "description": "大约影响多少人？",
            "description_en": "About how many people are affected?",
        },
    ],
}


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    for code, attributes in ATTRIBUTES.items():
        category = Category.objects.filter(code=code).first()
        if category is None:
            continue
        for order, attribute in enumerate(attributes, start=1):
            values = dict(attribute)
            ServiceAttribute.objects.get_or_create(
                category=category,
                code=values.pop("code"),
                defaults={"order": order, **values},
            )


class Migration(migrations.Migration):
    dependencies = [("open311", "0001_initial"), ("cases", "0002_default_categories")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
