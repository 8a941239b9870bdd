"""A demo contingency plan and this fortnight's duty roster for the demo street (fictional).

Idempotent: a plan with the same title, or a shift already rostered, is left as it is.
"""

from datetime import timedelta

from django.utils import timezone

from yimen.org.models import DutyShift, Jurisdiction, Shift, User

from .models import ContingencyPlan

PLAN_STEPS = """接报后立即通知燃气公司抢修和派出所、消防救援站
疏散泄漏点周边群众，设置警戒区，严禁明火
关闭燃气总阀，开窗通风
核实有无人员受伤，协调医疗救护
向街道主要领导和区应急管理局报告
抢修完毕后检测确认，组织群众有序返回"""

TEAMS = [
    ("抢险组", [("陈志明", "组长", "13800000001", "director"),
                ("刘强", "队员", "13800000002", "police")]),
    ("疏散组", [("赵磊", "组长", "13800000003", "grid1"),
                ("李晓燕", "队员", "13800000004", "desk")]),
]  # fmt: skip


def load_demo_emergency(street: Jurisdiction) -> None:
    plan, created = ContingencyPlan.objects.get_or_create(
        jurisdiction=street,
        title="燃气泄漏突发事件应急预案",
        defaults={
            "incident_type": "gas",
            "steps": PLAN_STEPS,
            "resources": "应急指挥车 1 辆\n便携式燃气检测仪 2 台\n青石街道文化中心（临时安置点）",
        },
    )
    if created:
        for position, (team_name, members) in enumerate(TEAMS):
            team = plan.teams.create(name=team_name, position=position)
            for name, duty, phone, username in members:
                account = User.objects.filter(username=username).first()
                team.members.create(name=name, duty=duty, phone=phone, account=account)
    today = timezone.localdate()
    director = User.objects.filter(username="director").first()
    leader = User.objects.filter(username="leader").first()
    supervisor = User.objects.filter(username="supervisor").first()
    for offset in range(14):
        day = today + timedelta(days=offset)
        for shift, user, is_leader in ((Shift.DAY, director, False), (Shift.DAY, leader, True),
                                       (Shift.NIGHT, supervisor, False)):  # fmt: skip
            if user is not None:
                DutyShift.objects.get_or_create(
                    jurisdiction=street, day=day, shift=shift, user=user,
                    defaults={"is_leader": is_leader},
                )  # fmt: skip
