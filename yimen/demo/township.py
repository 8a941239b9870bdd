"""The demo township: 临江区 / 青石街道, three communities of six grids, units and staff.

Everything is fictional. Boundaries are drawn on a lattice whose inner points are nudged, so
grids look like real blocks yet tile their community exactly.
"""

import random
from typing import Any

DISTRICT = {"code": "330102", "name": "临江区", "level": "district"}
STREET = {"code": "330102001", "name": "青石街道", "level": "street", "parent_code": "330102"}
COMMUNITIES = [
    ("330102001001", "桂花社区"),
    ("330102001002", "柳岸社区"),
    ("330102001003", "枫林社区"),
]
GRID_COLUMNS, GRID_ROWS = 3, 2
ORIGIN = (120.150, 30.270)  # south-west corner of the first community
CELL = (0.004, 0.0045)  # degrees per grid (about 380 m × 500 m)

STREET_UNITS = [
    ("青石街道综合服务与矛盾纠纷调处中心", "hall", "0571-86010000", "青石街道青石路88号"),
    ("青石街道综治办", "office", "0571-86010001", "青石路88号2楼"),
    ("青石街道人民调解委员会", "mediation", "0571-86010002", "青石路88号1楼调解室"),
    ("青石司法所", "judicial", "0571-86010003", "青石路90号"),
    ("青石派出所", "police", "0571-86010110", "青石路120号"),
    ("青石街道信访办", "petition", "0571-86010004", "青石路88号1楼"),
    ("临江区人民法院青石人民法庭", "court", "0571-86010005", "青石路200号"),
    ("青石街道安全生产办公室", "safety", "0571-86010006", "青石路88号3楼"),
]

# username, full name, role, jurisdiction code, unit name (or None)
USERS = [
    ("admin", "王建国", "admin", "330102", None),
    ("director", "陈志明", "director", "330102001", "青石街道综合服务与矛盾纠纷调处中心"),
    ("desk", "李晓燕", "desk", "330102001001", "桂花社区工作站"),
    ("mediator", "张秀英", "mediator", "330102001001", "桂花社区人民调解委员会"),
    ("police", "刘强", "unit", "330102001", "青石派出所"),
    ("grid1", "赵磊", "grid", "330102001001-01", None),
    ("supervisor", "孙丽华", "supervisor", "330102001", "青石街道综治办"),
    ("leader", "周国平", "leader", "330102001", None),
    ("desk_b", "吴婷", "desk", "330102001002", "柳岸社区工作站"),
]


def _ring(points: list[tuple[float, float]]) -> dict[str, Any]:
    coords = [[round(x, 6), round(y, 6)] for x, y in points]
    return {"type": "Polygon", "coordinates": [coords + [coords[0]]]}


def tree_rows() -> list[dict[str, Any]]:
    """Rows for ``yimen.org.tree.import_rows``, parents first, the same on every run."""
    rng = random.Random(2026)  # noqa: S311 - decoration, not security
    rows: list[dict[str, Any]] = [DISTRICT, STREET]
    for index, (code, name) in enumerate(COMMUNITIES):
        x0 = ORIGIN[0] + index * GRID_COLUMNS * CELL[0]
        lattice = {}
        for i in range(GRID_COLUMNS + 1):
            for j in range(GRID_ROWS + 1):
                inner_x = 0 < i < GRID_COLUMNS
                inner_y = 0 < j < GRID_ROWS
                dx = rng.uniform(-0.3, 0.3) * CELL[0] if inner_x else 0
                dy = rng.uniform(-0.25, 0.25) * CELL[1] if inner_y else 0
                lattice[i, j] = (x0 + i * CELL[0] + dx, ORIGIN[1] + j * CELL[1] + dy)
        outline = (
            [lattice[i, 0] for i in range(GRID_COLUMNS + 1)]
            + [lattice[GRID_COLUMNS, j] for j in range(1, GRID_ROWS + 1)]
            + [lattice[i, GRID_ROWS] for i in range(GRID_COLUMNS - 1, -1, -1)]
            + [lattice[0, j] for j in range(GRID_ROWS - 1, 0, -1)]
        )
        rows.append(
            {"code": code, "name": name, "level": "community", "parent_code": STREET["code"],
             "polygon": _ring(outline)}
        )  # fmt: skip
        for n, (i, j) in enumerate(
            ((i, j) for j in range(GRID_ROWS) for i in range(GRID_COLUMNS)), start=1
        ):
            cell = [lattice[i, j], lattice[i + 1, j], lattice[i + 1, j + 1], lattice[i, j + 1]]
            rows.append(
                {"code": f"{code}-{n:02d}", "name": f"{name}第{n}网格", "level": "grid",
                 "parent_code": code, "polygon": _ring(cell)}
            )  # fmt: skip
    return rows


def unit_rows() -> list[tuple[str, str, str, str, str]]:
    """(jurisdiction code, name, kind, phone, address) of every demo unit."""
    rows = [(STREET["code"], *unit) for unit in STREET_UNITS]
    for n, (code, name) in enumerate(COMMUNITIES, start=1):
        phone = f"0571-8602{n:02d}"
        rows.append((code, f"{name}工作站", "workstation", phone + "00", f"{name}服务中心1楼"))
        rows.append(
            (code, f"{name}人民调解委员会", "mediation", phone + "01", f"{name}服务中心调解室")
        )
    return rows
