"""The demo township scaled up: more communities, each with grids, two units, staff and rules.

Written through the ORM and the tree import (a few thousand rows): the demo's street gets
communities up to ``--communities``, laid out like the demo's three on a lattice, each
with its grids, a workstation and a people's mediation committee (with a roster), a front
desk, a mediator and a grid worker; then the default routing rules are seeded for them.
``Township`` is what the case generator reads: ids, names, weights and routing, in memory.
"""

import random
from dataclasses import dataclass, field
from typing import Any

from yimen.demo import township as demo

from . import texts

COMMUNITIES_PER_ROW = 15


@dataclass
class Community:
    node: int
    path: str
    name: str
    grids: list[int]
    workstation: int
    committee: int
    desk: int
    mediator: int
    grid_worker: int
    members: list[int]
    estates: list[str]
    # (category id, stage) → (lead unit, co-units), the nearest routing rule
    routes: dict[tuple[int, str], tuple[int, tuple[int, ...]]] = field(default_factory=dict)


@dataclass
class Township:
    street: int
    communities: list[Community]
    places: dict[int, tuple[float, float]]  # node id → (latitude, longitude) of its centre
    unit_names: dict[int, str]
    unit_kinds: dict[int, str]
    unit_staff: dict[int, int]  # unit → a staff account that acts for it
    street_units: dict[str, int]  # kind → unit of the street
    members: dict[int, list[tuple[int, str]]]  # committee → [(member id, name)]
    director: int
    supervisor: int
    leader: int
    categories: dict[str, tuple[int, bool]]  # code → (id, is_dispute)


def _community_names(count: int, taken: set[str], rng: random.Random) -> list[str]:
    names = [f"{a}{b}社区" for a in texts.COMMUNITY_FIRST for b in texts.COMMUNITY_SECOND]
    names = [n for n in names if n not in taken]
    rng.shuffle(names)
    if count > len(names):
        names += [f"第{n}社区" for n in range(1, count - len(names) + 1)]
    return names[:count]


def _ring(points: list[tuple[float, float]]) -> dict[str, Any]:
    coords = [[round(x, 6), round(y, 6)] for x, y in points]
    return {"type": "Polygon", "coordinates": [coords + [coords[0]]]}


def _community_rows(index: int, code: str, name: str, grids: int) -> list[dict[str, Any]]:
    """A community and its grids on the demo's lattice (plain rectangles, they tile it)."""
    columns, rows = max(1, (grids + 1) // 2), 2 if grids > 1 else 1
    cell = demo.CELL
    x0 = demo.ORIGIN[0] + (index % COMMUNITIES_PER_ROW) * 3 * cell[0]
    y0 = demo.ORIGIN[1] + (index // COMMUNITIES_PER_ROW) * 2 * cell[1]
    width, height = 3 * cell[0] / columns, 2 * cell[1] / rows

    def corner(i: int, j: int) -> tuple[float, float]:
        return x0 + i * width, y0 + j * height

    outline = [corner(0, 0), corner(columns, 0), corner(columns, rows), corner(0, rows)]
    result = [{"code": code, "name": name, "level": "community",
               "parent_code": demo.STREET["code"], "polygon": _ring(outline)}]  # fmt: skip
    for n in range(grids):
        i, j = n % columns, n // columns
        cells = [corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1)]
        result.append({"code": f"{code}-{n + 1:02d}", "name": f"{name}第{n + 1}网格",
                       "level": "grid", "parent_code": code, "polygon": _ring(cells)})  # fmt: skip
    return result


def _centre(polygon: Any) -> tuple[float, float] | None:
    if not polygon:
        return None
    ring = polygon["coordinates"][0][:-1]
    return (sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring))


def scale_up(communities: int, grids: int, seed: int) -> int:
    """Add communities to the demo street until it has ``communities``; the number added."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from yimen.cases.routing import seed_default_rules
    from yimen.mediation.models import CommitteeMember
    from yimen.org import tree
    from yimen.org.models import Jurisdiction, Role, Unit, UnitKind, User

    rng = random.Random(f"township:{seed}")
    street = Jurisdiction.objects.get(code=demo.STREET["code"])
    existing = list(street.children.filter(level="community").order_by("code"))
    missing = communities - len(existing)
    if missing <= 0:
        return 0
    names = _community_names(missing, {c.name for c in existing}, rng)
    rows = []
    new_codes = []
    for offset, name in enumerate(names):
        index = len(existing) + offset
        code = f"{demo.STREET['code']}{index + 1:03d}"
        new_codes.append(code)
        rows += _community_rows(index, code, name, grids)
    unusable = make_password(None)
    with transaction.atomic():
        tree.import_rows(rows, actor=None)
        nodes = {j.code: j for j in Jurisdiction.objects.filter(code__in=new_codes)}
        units = []
        for n, code in enumerate(new_codes, start=len(existing) + 1):
            node, phone = nodes[code], f"0571-87{n:03d}"
            units.append(Unit(jurisdiction=node, name=f"{node.name}工作站",
                              kind=UnitKind.WORKSTATION, phone=phone + "0",
                              address=f"{node.name}服务中心1楼"))  # fmt: skip
            units.append(Unit(jurisdiction=node, name=f"{node.name}人民调解委员会",
                              kind=UnitKind.MEDIATION, phone=phone + "1",
                              address=f"{node.name}服务中心调解室"))  # fmt: skip
        Unit.objects.bulk_create(units)
        by_place = {(u.jurisdiction_id, u.kind): u for u in Unit.objects.filter(
            jurisdiction__in=nodes.values())}  # fmt: skip
        users, members = [], []
        for n, code in enumerate(new_codes, start=len(existing) + 1):
            node = nodes[code]
            station = by_place[node.pk, UnitKind.WORKSTATION]
            committee = by_place[node.pk, UnitKind.MEDIATION]
            grid = Jurisdiction.objects.get(code=f"{code}-01")

            def person(prefix: str, role: str, place: Any, unit: Any, n: int = n) -> User:
                surname = texts.SURNAMES[rng.randrange(len(texts.SURNAMES))]
                given = texts.GIVEN[rng.randrange(len(texts.GIVEN))]
                return User(
                    username=f"{prefix}{n:03d}", display_name=surname + given, role=role,
                    jurisdiction=place, unit=unit, password=unusable,
                )  # fmt: skip

            users += [person("desk", Role.DESK, node, station),
                      person("mediator", Role.MEDIATOR, node, committee),
                      person("grid", Role.GRID, grid, None)]  # fmt: skip
        User.objects.bulk_create(users)
        accounts = {
            u.username: u for u in User.objects.filter(username__in=[u.username for u in users])
        }
        for n, code in enumerate(new_codes, start=len(existing) + 1):
            committee = by_place[nodes[code].pk, UnitKind.MEDIATION]
            roster = [("chair", "female"), ("member", "male"), ("member", "male")]
            for position, (role, gender) in enumerate(roster):
                surname = texts.SURNAMES[rng.randrange(len(texts.SURNAMES))]
                name = surname + texts.GIVEN[rng.randrange(len(texts.GIVEN))]
                account = accounts[f"mediator{n:03d}"] if role == "chair" else None
                members.append(CommitteeMember(
                    committee=committee, name=name, gender=gender, role=role, account=account,
                    position=position,
                ))  # fmt: skip
        CommitteeMember.objects.bulk_create(members)
        # Street units without anybody to act for them get one member of staff each.
        staffed = set(User.objects.exclude(unit=None).values_list("unit_id", flat=True))
        extra = [
            User(
                username=f"unit{unit.pk}",
                display_name=unit.name[:20],
                role=Role.UNIT,
                jurisdiction_id=unit.jurisdiction_id,
                unit=unit,
                password=unusable,
            )  # fmt: skip
            for unit in Unit.objects.filter(jurisdiction=street).exclude(pk__in=staffed)
        ]
        User.objects.bulk_create(extra)
        seed_default_rules(street)
    return missing


def load_township() -> Township:
    """Everything the case generator needs, read once."""
    from yimen.cases.models import Category, RoutingRule
    from yimen.cases.routing import ancestor_ids
    from yimen.mediation.models import CommitteeMember
    from yimen.org.models import Jurisdiction, Unit, UnitKind, User

    street = Jurisdiction.objects.get(code=demo.STREET["code"])
    nodes = list(Jurisdiction.objects.filter(path__startswith=street.path))
    places = {n.pk: c for n in nodes if (c := _centre(n.polygon))}
    units = list(Unit.objects.filter(is_active=True))
    staff = {}
    for user in User.objects.exclude(unit=None).filter(is_active=True).order_by("pk"):
        staff.setdefault(user.unit_id, user.pk)
    members: dict[int, list[tuple[int, str]]] = {}
    for m in CommitteeMember.objects.filter(is_active=True).order_by("committee_id", "position"):
        members.setdefault(m.committee_id, []).append((m.pk, m.name))
    rules: dict[tuple[int, int, str], tuple[int, tuple[int, ...]]] = {}
    for rule in RoutingRule.objects.prefetch_related("co_units"):
        co = tuple(sorted(u.pk for u in rule.co_units.all()))
        rules[rule.jurisdiction_id, rule.category_id, rule.stage] = (rule.unit_id, co)
    categories = {c.code: (c.pk, c.is_dispute) for c in Category.objects.filter(is_active=True)}
    users = {u.username: u for u in User.objects.all()}
    by_kind = {(u.jurisdiction_id, u.kind): u.pk for u in units}
    communities = []
    children: dict[int, list[int]] = {}
    for n in nodes:
        if n.level == "grid":
            children.setdefault(n.parent_id, []).append(n.pk)
    for node in sorted((n for n in nodes if n.level == "community"), key=lambda n: n.code):
        number = len(communities) + 1
        station = by_kind.get((node.pk, UnitKind.WORKSTATION))
        committee = by_kind.get((node.pk, UnitKind.MEDIATION))
        if number <= len(demo.COMMUNITIES):  # the demo's own staff
            desk = users["desk"].pk if number == 1 else users["desk_b"].pk
            mediator = users["mediator"].pk
            grid_worker = users["grid1"].pk
        else:
            desk = users[f"desk{number:03d}"].pk
            mediator = users[f"mediator{number:03d}"].pk
            grid_worker = users[f"grid{number:03d}"].pk
        estates = [
            texts.ESTATE_FIRST[(number * 7 + k) % len(texts.ESTATE_FIRST)]
            + node.name[0]
            + texts.ESTATE_SECOND[(number + k) % len(texts.ESTATE_SECOND)]
            for k in range(3)
        ]
        community = Community(node.pk, node.path, node.name, sorted(children.get(node.pk, [])),
                              station, committee, desk, mediator, grid_worker,
                              [m for m, _ in members.get(committee, [])], estates)  # fmt: skip
        ids = ancestor_ids(node.path)
        for category_id, _dispute in categories.values():
            for stage in ("initial", "escalated"):
                for pk in ids:
                    if (pk, category_id, stage) in rules:
                        community.routes[category_id, stage] = rules[pk, category_id, stage]
                        break
        communities.append(community)
    street_units = {u.kind: u.pk for u in units if u.jurisdiction_id == street.pk}
    for unit in units:  # a unit nobody staffs is acted for by the street's director
        staff.setdefault(unit.pk, users["director"].pk)
    return Township(
        street=street.pk,
        communities=communities,
        places=places,
        unit_names={u.pk: u.name for u in units},
        unit_kinds={u.pk: u.kind for u in units},
        unit_staff=staff,
        street_units=street_units,
        members=members,
        director=users["director"].pk,
        supervisor=users["supervisor"].pk,
        leader=users["leader"].pk,
        categories=categories,
    )
