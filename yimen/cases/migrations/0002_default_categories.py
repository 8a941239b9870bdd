"""The categories every center starts with; administrators add their own."""

from django.db import migrations

CATEGORIES = [
    # code, name, English, dispute, staff complaint
    ("family", "婚姻家庭纠纷", "Family dispute", True, False),
    ("neighbour", "邻里纠纷", "Neighbour dispute", True, False),
    ("property", "物业纠纷", "Property-management dispute", True, False),
    ("compensation", "损害赔偿纠纷", "Compensation dispute", True, False),
    ("land", "土地房屋纠纷", "Land and housing dispute", True, False),
    ("labour", "劳动争议", "Labour dispute", True, False),
    ("public_order", "治安及涉法问题", "Public order or criminal matter", False, False),
    ("hazard", "安全隐患", "Safety hazard", False, False),
    ("environment", "环境卫生", "Environment and sanitation", False, False),
    ("urban", "城建市政", "Urban construction and utilities", False, False),
    ("social", "社会保障与救助", "Social security and assistance", False, False),
    ("staff_complaint", "投诉工作人员", "Complaint about staff", False, True),
    ("other", "其他事项", "Other matter", False, False),
]


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for position, (code, name, name_en, dispute, complaint) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "is_dispute": dispute,
                "is_staff_complaint": complaint,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
