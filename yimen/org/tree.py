"""Changes to the jurisdiction tree: one node from a form, or many from a CSV file.

Both go through the same plan: the tree as it would be after the change is checked whole
(codes unique, parents known, levels in order, no cycles, boundaries inside their parent's)
and nothing is written unless every check passes. Writing is one transaction.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yimen.audit.services import diff, record, snapshot

from .geometry import lies_within, polygon_problem
from .models import PARENT_LEVEL, Jurisdiction, Level

NODE_FIELDS = ["code", "name", "level", "parent", "polygon"]
CSV_COLUMNS = ["code", "name", "level", "parent_code"]

# Level names a spreadsheet may use besides the stored values.
_LEVEL_ALIASES = {
    "区": Level.DISTRICT, "县": Level.DISTRICT, "区县": Level.DISTRICT,
    "街道": Level.STREET, "乡镇": Level.STREET, "镇": Level.STREET, "乡": Level.STREET,
    "社区": Level.COMMUNITY, "村": Level.COMMUNITY, "村居": Level.COMMUNITY,
    "网格": Level.GRID,
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One reason a change is refused: which row (of a file) and field, and why."""

    message: str
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


class TreeError(Exception):
    """The change is refused; ``problems`` lists every reason, in the order of the rows."""

    def __init__(self, problems: list[Problem]):
        problems = sorted(problems, key=lambda p: p.row if p.row is not None else 0)
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass
class _Node:
    pk: int | None
    code: str
    name: str
    level: str
    parent_pk: int | None = None
    parent_code: str | None = None  # set when the parent is named by code (a file row)
    polygon: Any = None
    row: int | None = None
    changed: bool = False
    keep_polygon: bool = False  # a file without a polygon column leaves boundaries alone
    parent_ref: "_Node | None" = field(default=None, repr=False)


@dataclass(frozen=True)
class Result:
    created: int
    updated: int
    unchanged: int = 0


def save_node(instance: Jurisdiction | None, data: dict[str, Any], *, actor: Any) -> Jurisdiction:
    """Create or change one node from the edit form (code, name, level, parent, polygon)."""
    parent = data.get("parent")
    node = _Node(
        pk=instance.pk if instance else None,
        code=data["code"].strip(),
        name=data["name"].strip(),
        level=data["level"],
        parent_pk=parent.pk if parent else None,
        polygon=data.get("polygon"),
        changed=True,
    )
    return _plan_and_apply([node], actor)[0][node.code]


def import_csv(text: str, *, actor: Any) -> Result:
    """Create or update nodes from CSV text: ``code,name,level,parent_code[,polygon]``.

    Rows are matched to existing nodes by code. One bad row refuses the whole file.
    """
    return _import(_read_csv(text), actor)


def import_rows(rows: list[dict[str, Any]], *, actor: Any) -> Result:
    """Like :func:`import_csv`, from dicts with the same keys (``polygon`` as GeoJSON).

    A row without a ``polygon`` key keeps the node's boundary as it is.
    """
    nodes = [
        _Node(
            pk=None,
            code=row["code"],
            name=row["name"],
            level=row["level"],
            parent_code=row.get("parent_code") or None,
            polygon=row.get("polygon"),
            row=number,
            changed=True,
            keep_polygon="polygon" not in row,
        )
        for number, row in enumerate(rows, start=1)
    ]
    return _import(nodes, actor)


def export_csv(nodes: Iterable[Jurisdiction]) -> str:
    """The nodes as a CSV file that :func:`import_csv` reads back unchanged.

    It doubles as the template administrators fill in, so it starts with a byte-order mark:
    spreadsheet programs then open the Chinese names as UTF-8.
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, "polygon"])
    for node in nodes:
        polygon = node.polygon
        writer.writerow(
            [
                node.code,
                node.name,
                node.level,
                node.parent.code if node.parent_id else "",
                json.dumps(polygon, ensure_ascii=False, separators=(",", ":")) if polygon else "",
            ]
        )
    return out.getvalue()


def decode_csv(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without BOM), else GB18030.

    Spreadsheets saved as CSV on a Chinese Windows desktop are GBK, a subset of GB18030.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise TreeError([Problem(_("The file is not UTF-8 or GB18030 text."))]) from None


def _import(changes: list[_Node], actor: Any) -> Result:
    _saved, created, updated = _plan_and_apply(changes, actor)
    return Result(created=created, updated=updated, unchanged=len(changes) - created - updated)


def _plan_and_apply(changes: list[_Node], actor: Any) -> tuple[dict[str, Jurisdiction], int, int]:
    """Check and write in one transaction, tree writers one at a time.

    Locking the roots queues concurrent tree changes on PostgreSQL (SQLite's writers queue
    anyway), so the checks always see the tree they are about to change.
    """
    try:
        with transaction.atomic():
            list(Jurisdiction.objects.select_for_update().filter(parent__isnull=True))
            return _apply(_plan(changes, actor), actor)
    except IntegrityError:
        raise TreeError(
            [Problem(_("The tree was changed by someone else at the same time; try again."))]
        ) from None


def _read_csv(text: str) -> list[_Node]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise TreeError(
            [Problem(_("The file needs the columns %(cols)s.") % {"cols": ", ".join(CSV_COLUMNS)})]
        )
    keep_polygons = "polygon" not in header
    nodes, problems = [], []
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        level = _LEVEL_ALIASES.get(row["level"], row["level"])
        polygon = None
        if row.get("polygon"):
            try:
                polygon = json.loads(row["polygon"])
            except ValueError:
                problems.append(Problem(_("the polygon is not valid JSON."), number, "polygon"))
        nodes.append(
            _Node(
                pk=None,
                code=row["code"],
                name=row["name"],
                level=level,
                parent_code=row["parent_code"] or None,
                polygon=polygon,
                row=number,
                changed=True,
                keep_polygon=keep_polygons,
            )
        )
    if not nodes and not problems:
        problems.append(Problem(_("The file has no rows.")))
    if problems:
        raise TreeError(problems)
    return nodes


def _plan(changes: list[_Node], actor: Any) -> dict[str, _Node]:
    """The whole tree after ``changes``, keyed by code, if every rule holds; else TreeError.

    ``actor`` None is the command line, which may change any node.
    """
    existing = {
        pk: _Node(pk, code, name, level, parent_pk=parent_pk)
        for pk, code, name, level, parent_pk in Jurisdiction.objects.values_list(
            "pk", "code", "name", "level", "parent_id"
        )
    }
    roots = {pk for pk, node in existing.items() if node.parent_pk is None}
    if actor is None:
        in_scope = set(existing)
    else:
        visible = actor.visible_path or "\0"
        in_scope = set(
            Jurisdiction.objects.filter(path__startswith=visible).values_list("pk", flat=True)
        )
    by_code = {n.code: n for n in existing.values()}
    stored_pk = {code: n.pk for code, n in by_code.items()}
    stored_parent = {pk: n.parent_pk for pk, n in existing.items()}
    in_file: set[str] = set()
    problems: list[Problem] = []

    for change in changes:
        problems += _field_problems(change)
        if change.row is not None:
            if change.code in in_file:
                message = _("the code %(code)s is used twice.") % {"code": change.code}
                problems.append(Problem(message, change.row, "code"))
                continue
            in_file.add(change.code)
            if change.pk is None:
                change.pk = stored_pk.get(change.code)  # a file row updates the node with its code
        if change.pk is not None:
            if change.pk not in in_scope:
                message = _("%(code)s is outside your jurisdiction.") % {"code": change.code}
                problems.append(Problem(message, change.row, "code"))
                continue
            by_code.pop(existing[change.pk].code, None)
            existing[change.pk] = change
        clash = by_code.get(change.code)
        if clash is not None and clash is not change:
            message = _("the code %(code)s is used twice.") % {"code": change.code}
            problems.append(Problem(message, change.row, "code"))
        by_code[change.code] = change

    for change in changes:
        may_be_root = not existing or change.pk in roots
        kept_parent = stored_parent.get(change.pk) if change.pk is not None else None
        problems += _placement_problems(
            change, by_code, existing, in_scope, may_be_root, kept_parent
        )
    problems += _stranded_children(changes, existing)
    if not problems:
        _check_boundaries(changes, by_code, problems)
    if problems:
        raise TreeError(problems)
    return by_code


def _field_problems(node: _Node) -> list[Problem]:
    problems = []
    if not node.code:
        problems.append(Problem(_("the code is empty."), node.row, "code"))
    if not node.name:
        problems.append(Problem(_("the name is empty."), node.row, "name"))
    if node.level not in Level.values:
        problems.append(
            Problem(_("unknown level %(level)s.") % {"level": node.level}, node.row, "level")
        )
    if node.polygon is not None and (why := polygon_problem(node.polygon)):
        problems.append(Problem(why, node.row, "polygon"))
    return problems


def _placement_problems(
    node: _Node,
    nodes: dict[str, _Node],
    existing: dict[int, _Node],
    in_scope: set[int],
    may_be_root: bool,
    kept_parent: int | None = None,
) -> list[Problem]:
    """Parent known and in scope, no cycle, level directly under the parent's.

    A node may keep a parent outside the actor's scope (an administrator renaming the node
    they are placed at); only moving a node there is refused.
    """
    if node.parent_code is not None:
        parent = nodes.get(node.parent_code)
        if parent is None:
            message = _("unknown jurisdiction code %(code)s.") % {"code": node.parent_code}
            return [Problem(message, node.row, "parent")]
    else:
        parent = existing.get(node.parent_pk) if node.parent_pk is not None else None
    node.parent_ref = parent
    if parent is None:
        if not may_be_root:
            return [Problem(_("a parent is required."), node.row, "parent")]
        return []
    if parent.pk is not None and parent.pk not in in_scope and parent.pk != kept_parent:
        return [Problem(_("the parent is outside your jurisdiction."), node.row, "parent")]
    seen, cursor = {id(node)}, parent
    while cursor is not None:
        if id(cursor) in seen:
            return [Problem(_("this parent would make a cycle in the tree."), node.row, "parent")]
        seen.add(id(cursor))
        cursor = _parent_of(cursor, nodes, existing)
    levels_known = node.level in Level.values and parent.level in Level.values
    if levels_known and PARENT_LEVEL.get(node.level) != parent.level:
        message = _("a %(level)s cannot be placed under a %(parent)s.") % {
            "level": Level(node.level).label,
            "parent": Level(parent.level).label,
        }
        return [Problem(message, node.row, "level")]
    return []


def _stranded_children(changes: list[_Node], existing: dict[int, _Node]) -> list[Problem]:
    """A node's new level must still suit the children it keeps."""
    problems = []
    changed = {c.pk: c for c in changes if c.pk is not None and c.level in Level.values}
    reported: set[int] = set()
    for child in existing.values():
        parent = changed.get(child.parent_pk)
        if child.changed or parent is None or parent.pk in reported:
            continue
        if PARENT_LEVEL.get(child.level) != parent.level:
            reported.add(parent.pk)
            message = _("%(child)s, a %(level)s, cannot stay under a %(parent)s.") % {
                "child": child.code,
                "level": Level(child.level).label,
                "parent": Level(parent.level).label,
            }
            problems.append(Problem(message, parent.row, "level"))
    return problems


def _parent_of(node: _Node, nodes: dict[str, _Node], existing: dict[int, _Node]) -> _Node | None:
    if node.parent_ref is not None:
        return node.parent_ref
    if node.parent_code is not None:
        return nodes.get(node.parent_code)
    return existing.get(node.parent_pk) if node.parent_pk is not None else None


def _check_boundaries(changes: list[_Node], nodes: dict[str, _Node], problems: list) -> None:
    """A boundary lies inside its parent's, where both have one; children inside a new one."""
    polygons = dict(Jurisdiction.objects.filter(polygon__isnull=False).values_list("pk", "polygon"))

    def boundary(node: _Node | None) -> Any:
        if node is None:
            return None
        if node.changed and not node.keep_polygon:
            return node.polygon
        return polygons.get(node.pk)

    for change in changes:
        mine, parent = boundary(change), boundary(change.parent_ref)
        if mine and parent and not lies_within(mine, parent):
            problems.append(
                Problem(
                    _("the boundary of %(code)s lies outside its parent's boundary.")
                    % {"code": change.code},
                    change.row,
                    "polygon",
                )
            )
        if mine and change.pk is not None:
            for child in nodes.values():
                if child.changed or child.parent_pk != change.pk:
                    continue
                if (inner := boundary(child)) and not lies_within(inner, mine):
                    problems.append(
                        Problem(
                            _("%(child)s would lie outside this boundary.") % {"child": child.code},
                            change.row,
                            "polygon",
                        )
                    )


def _apply(nodes: dict[str, _Node], actor: Any) -> tuple[dict[str, Jurisdiction], int, int]:
    """Write the changed nodes, parents first (each save keeps the paths below it right).

    Returns the nodes by code and how many were created and updated; a row that changes
    nothing is neither written nor logged, so re-importing an export leaves no noise.
    """
    changed = [n for n in nodes.values() if n.changed]
    saved: dict[str, Jurisdiction] = {}
    created = updated = 0
    with transaction.atomic():
        for node in _parents_first(changed):
            obj = (
                Jurisdiction.objects.select_for_update().get(pk=node.pk)
                if node.pk is not None
                else Jurisdiction()
            )
            before = snapshot(obj, NODE_FIELDS) if node.pk is not None else {}
            parent = node.parent_ref
            obj.code, obj.name, obj.level = node.code, node.name, node.level
            if not node.keep_polygon:
                obj.polygon = node.polygon
            obj.parent_id = parent.pk if parent is not None else None
            changes = diff(before, snapshot(obj, NODE_FIELDS))
            saved[obj.code] = obj
            if before and not changes:
                continue
            obj.save()
            node.pk = obj.pk
            if before:
                updated += 1
                action = "org.jurisdiction.updated"
            else:
                created += 1
                action = "org.jurisdiction.created"
            record(action, obj, actor=actor, changes=changes)
    return saved, created, updated


def _parents_first(nodes: Iterable[_Node]) -> list[_Node]:
    pending, done, ordered = list(nodes), set(), []
    while pending:
        ready = [
            n for n in pending
            if n.parent_ref is None or not n.parent_ref.changed or id(n.parent_ref) in done
        ]  # fmt: skip
        for n in ready:
            done.add(id(n))
            ordered.append(n)
        pending = [n for n in pending if id(n) not in done]
    return ordered
