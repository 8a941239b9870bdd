"""Demo rosters for the demo township's mediation committees (fictional names).

Each keeps the composition rules (an odd number of 3 to 9, at least one woman, one chair).
The demo user ``mediator`` is the chair of 桂花社区人民调解委员会, so the demo can edit it.
A committee that already has members is left as it is (idempotent).
"""

from yimen.org.models import Unit, UnitKind, User

from .models import CommitteeMember

ROSTERS = {
    "桂花社区人民调解委员会": [
        ("张秀英", "female", "chair", "mediator"),
        ("刘建华", "male", "deputy", None),
        ("陈志强", "male", "member", None),
        ("赵丽", "female", "member", None),
        ("孙明", "male", "member", None),
    ],
    "柳岸社区人民调解委员会": [
        ("吴桂兰", "female", "chair", None),
        ("周涛", "male", "member", None),
        ("郑伟", "male", "member", None),
    ],
    "枫林社区人民调解委员会": [
        ("何建平", "male", "chair", None),
        ("林芳", "female", "member", None),
        ("马强", "male", "member", None),
    ],
    "青石街道人民调解委员会": [
        ("黄志远", "male", "chair", None),
        ("徐丽娟", "female", "deputy", None),
        ("高峰", "male", "member", None),
        ("罗敏", "female", "member", None),
        ("梁文", "male", "member", None),
    ],
}


def load_demo_rosters() -> int:
    """Members created."""
    created = 0
    for committee in Unit.objects.filter(kind=UnitKind.MEDIATION, name__in=ROSTERS):
        if committee.members.exists():
            continue
        for position, (name, gender, role, username) in enumerate(ROSTERS[committee.name]):
            account = (
                User.objects.filter(username=username, unit=committee).first() if username else None
            )
            CommitteeMember.objects.create(
                committee=committee, name=name, gender=gender, role=role, account=account,
                position=position,
            )  # fmt: skip
            created += 1
    return created
