"""The rules of the jurisdiction tree, through tree.py, the pages and the commands.

A change is checked whole before anything is written: one bad row refuses the file, and a
refused change leaves neither rows nor audit events behind.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from yimen.audit.models import Event
from yimen.audit.services import verify_chain
from yimen.demo import township
from yimen.org import tree
from yimen.org.geometry import lies_within
from yimen.org.models import Jurisdiction, Level, Unit, User

from .conftest import SQUARE_A

pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def square(x0, y0, size):
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


INSIDE_A = square(120.01, 30.01, 0.02)
OUTSIDE_A = square(121.0, 31.0, 0.02)
BOW_TIE = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.05, 30.05], [120.05, 30.0],
                                              [120.0, 30.05], [120.0, 30.0]]]}  # fmt: skip
UNCLOSED = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.05, 30.0], [120.05, 30.05],
                                               [120.0, 30.05]]]}  # fmt: skip


def csv_text(*rows, header="code,name,level,parent_code"):
    return "\n".join([header, *rows]) + "\n"


def state():
    """Everything a refused change must leave as it was."""
    return (
        list(Jurisdiction.objects.values_list("pk", "code", "name", "level", "parent", "path")),
        Event.objects.count(),
    )


def refuse(callable_, *args, **kwargs) -> list[str]:
    """Run a change that must be refused; return its messages, checking nothing moved."""
    before = state()
    with pytest.raises(tree.TreeError) as caught:
        callable_(*args, **kwargs)
    assert state() == before
    return [str(p) for p in caught.value.problems]


def node_data(node, **changes):
    data = {
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent": node.parent,
        "polygon": node.polygon,
    }
    return {**data, **changes}


# Files.


def test_a_bad_row_is_named_and_nothing_is_written(world):
    text = csv_text(
        "CC,枫林社区,community,S1",
        "CC-01,枫林一网格,township,CC",
        "CC-02,枫林二网格,grid,CC",
    )
    messages = refuse(tree.import_csv, text, actor=world.admin)
    assert messages == ["Row 3: unknown level township."]


def test_every_bad_row_is_reported(world):
    text = csv_text("CC,,community,S1", "CC-01,x,grid,NOPE", "CC,y,community,S1")
    messages = refuse(tree.import_csv, text, actor=world.admin)
    assert "Row 2: the name is empty." in messages
    assert "Row 4: the code CC is used twice." in messages
    assert "Row 3: unknown jurisdiction code NOPE." in messages


def test_a_good_file_creates_and_updates(world):
    text = csv_text("CC,枫林社区,社区,S1", "CC-01,枫林一网格,网格,CC", "CA,桂花新社区,community,S1")
    result = tree.import_csv(text, actor=world.admin)
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    grid = Jurisdiction.objects.get(code="CC-01")
    assert grid.level == Level.GRID and grid.parent.code == "CC"
    assert grid.path.startswith(Jurisdiction.objects.get(code="CC").path)
    world.community_a.refresh_from_db()
    assert world.community_a.name == "桂花新社区"
    assert world.community_a.polygon == SQUARE_A  # no polygon column: boundaries stay


def test_unknown_parent_code_is_refused(world):
    messages = refuse(tree.import_csv, csv_text("CC,x,community,S9"), actor=world.admin)
    assert messages == ["Row 2: unknown jurisdiction code S9."]


def test_missing_columns_and_empty_files_are_refused(world):
    assert refuse(tree.import_csv, "code,name\nX,y\n", actor=world.admin) == [
        "The file needs the columns code, name, level, parent_code."
    ]
    assert refuse(tree.import_csv, csv_text(), actor=world.admin) == ["The file has no rows."]


def test_two_rows_naming_each_other_are_a_cycle(world):
    text = csv_text("X1,x,community,X2", "X2,y,community,X1")
    messages = refuse(tree.import_csv, text, actor=None)
    assert messages == [
        "Row 2: this parent would make a cycle in the tree.",
        "Row 3: this parent would make a cycle in the tree.",
    ]


def test_a_file_row_cannot_hang_a_node_below_its_own_child(world):
    text = csv_text("CA,桂花社区,community,CA-01")
    messages = refuse(tree.import_csv, text, actor=world.admin)
    assert messages == ["Row 2: this parent would make a cycle in the tree."]


def test_levels_must_follow_the_tree(world):
    messages = refuse(tree.import_csv, csv_text("G9,x,grid,S1"), actor=world.admin)
    assert messages == ["Row 2: a Grid cannot be placed under a Street / township."]
    messages = refuse(tree.import_csv, csv_text("D9,x,district,CA"), actor=world.admin)
    assert messages == ["Row 2: a District cannot be placed under a Community / village."]


def test_a_level_change_must_suit_the_children(world):
    # The root may be of any level, but its street cannot stay under a street.
    messages = refuse(
        tree.save_node, world.district, node_data(world.district, level="street"), actor=None
    )
    assert messages == ["S1, a Street / township, cannot stay under a Street / township."]


def test_a_new_root_is_refused_when_the_tree_has_one(world):
    messages = refuse(tree.import_csv, csv_text("D2,x,district,"), actor=None)
    assert messages == ["Row 2: a parent is required."]


def test_duplicate_codes_are_refused(world):
    messages = refuse(tree.import_csv, csv_text("X1,x,grid,CA", "X1,y,grid,CA"), actor=None)
    assert messages == ["Row 3: the code X1 is used twice."]
    # Twice in one file, even when the code already exists.
    messages = refuse(
        tree.import_csv, csv_text("CA,a,community,S1", "CA,b,community,S1"), actor=None
    )
    assert messages == ["Row 3: the code CA is used twice."]
    # A form renaming a node to another node's code.
    messages = refuse(tree.save_node, world.grid_a1, node_data(world.grid_a1, code="CB-01"),
                      actor=world.admin)  # fmt: skip
    assert messages == ["the code CB-01 is used twice."]


def test_boundaries_must_lie_inside_the_parents(world):
    outside = [{"code": "CA-02", "name": "x", "level": "grid", "parent_code": "CA",
                "polygon": OUTSIDE_A}]  # fmt: skip
    assert refuse(tree.import_rows, outside, actor=world.admin) == [
        "Row 1: the boundary of CA-02 lies outside its parent's boundary."
    ]
    inside = [{**outside[0], "polygon": INSIDE_A}]
    assert tree.import_rows(inside, actor=world.admin).created == 1
    # Only where both have one: community B has no boundary, so anything goes below it.
    free = [{**outside[0], "code": "CB-02", "parent_code": "CB"}]
    assert tree.import_rows(free, actor=world.admin).created == 1


def test_a_shrunk_boundary_must_still_hold_its_grids(world):
    tree.save_node(world.grid_a1, node_data(world.grid_a1, polygon=INSIDE_A), actor=world.admin)
    small = square(120.05, 30.05, 0.01)
    messages = refuse(
        tree.save_node, world.community_a, node_data(world.community_a, polygon=small),
        actor=world.admin,
    )  # fmt: skip
    assert messages == ["CA-01 would lie outside this boundary."]


def test_bad_polygons_are_refused(world):
    messages = refuse(
        tree.save_node, world.grid_a1, node_data(world.grid_a1, polygon=BOW_TIE), actor=None
    )
    assert len(messages) == 1 and "crosses itself" in messages[0]
    messages = refuse(
        tree.save_node, world.grid_a1, node_data(world.grid_a1, polygon=UNCLOSED), actor=None
    )
    assert messages == ["Each ring must be closed: its last position must equal its first."]
    messages = refuse(
        tree.save_node, world.grid_a1, node_data(world.grid_a1, polygon={"type": "Point"}),
        actor=None,
    )  # fmt: skip
    assert messages == ["The boundary must be a GeoJSON Polygon or MultiPolygon."]
    text = csv_text('CA-02,x,grid,CA,"{""type"": ""Polygon"""', header="code,name,level,"
                    "parent_code,polygon")  # fmt: skip
    assert refuse(tree.import_csv, text, actor=None) == ["Row 2: the polygon is not valid JSON."]


def test_admin_b_cannot_touch_community_a_by_file(world):
    messages = refuse(
        tree.import_csv, csv_text("CA,改名,community,S1", "CB-02,x,grid,CA"), actor=world.admin_b
    )
    assert messages == [
        "Row 2: CA is outside your jurisdiction.",
        "Row 3: the parent is outside your jurisdiction.",
    ]
    messages = refuse(tree.import_csv, csv_text("CB,x,community,CA"), actor=world.admin_b)
    assert messages == ["Row 2: the parent is outside your jurisdiction."]


def test_admin_b_may_rename_the_community_they_sit_in(world):
    tree.import_csv(csv_text("CB,柳岸新社区,community,S1"), actor=world.admin_b)
    world.community_b.refresh_from_db()
    assert world.community_b.name == "柳岸新社区"
    assert world.community_b.parent == world.street


def test_moving_a_node_moves_its_subtree(world):
    street_2 = tree.save_node(
        None, {"code": "S2", "name": "白沙街道", "level": "street", "parent": world.district},
        actor=world.admin,
    )  # fmt: skip
    tree.save_node(world.community_a, node_data(world.community_a, parent=street_2),
                   actor=world.admin)  # fmt: skip
    community_a = Jurisdiction.objects.get(code="CA")
    grid = Jurisdiction.objects.get(code="CA-01")
    assert community_a.path == f"{street_2.path}{community_a.pk:010d}/"
    assert grid.path == f"{community_a.path}{grid.pk:010d}/"
    # Scoping follows: the old street's director no longer sees the community or its unit.
    assert not Jurisdiction.objects.for_user(world.director).filter(code="CA-01").exists()
    assert not Unit.objects.for_user(world.director).filter(pk=world.station_a.pk).exists()
    assert User.objects.for_user(world.director).filter(pk=world.desk.pk).count() == 0


def test_every_change_is_audited_with_before_and_after(world):
    start = Event.objects.count()
    node = tree.save_node(
        None, {"code": "CA-02", "name": "桂花二网格", "level": "grid", "parent": world.community_a},
        actor=world.admin,
    )  # fmt: skip
    tree.save_node(node, node_data(node, name="桂花第二网格"), actor=world.admin)
    created, updated = Event.objects.filter(pk__gt=0).order_by("pk")[start:]
    assert created.action == "org.jurisdiction.created"
    assert created.changes["code"] == [None, "CA-02"]
    assert created.changes["parent"] == [None, world.community_a.pk]
    assert created.actor == world.admin
    assert created.path == node.path
    assert updated.action == "org.jurisdiction.updated"
    assert updated.changes == {"name": ["桂花二网格", "桂花第二网格"]}
    assert verify_chain() is None


def test_reimporting_the_export_changes_nothing(world):
    exported = tree.export_csv(Jurisdiction.objects.select_related("parent"))
    events = Event.objects.count()
    result = tree.import_csv(exported, actor=world.admin)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 6)
    assert Event.objects.count() == events
    assert Jurisdiction.objects.get(code="CA").polygon == SQUARE_A


def test_gb18030_files_are_read():
    data = csv_text("CC,枫林社区,社区,S1").encode("gb18030")
    assert "枫林社区" in tree.decode_csv(data)
    assert "枫林社区" in tree.decode_csv(b"\xef\xbb\xbf" + "枫林社区".encode())


# The import page.


def test_import_page_names_the_bad_row_and_keeps_the_text(world, client_for):
    text = csv_text("CC,枫林社区,community,S1", "CC-01,枫林一网格,grid,NOPE")
    before = state()
    response = client_for(world.admin).post(reverse("org:import"), {"text": text})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Row 3: unknown jurisdiction code NOPE." in page
    assert "Nothing was imported" in page
    assert "CC-01,枫林一网格,grid,NOPE" in page  # the pasted rows are still there
    assert state() == before


def test_import_page_shows_a_bad_files_rows_for_correction(world, client_for):
    upload = SimpleUploadedFile(
        "tree.csv", csv_text("CC,枫林社区,village,S1").encode("gb18030"), "text/csv"
    )
    before = state()
    response = client_for(world.admin).post(reverse("org:import"), {"file": upload})
    page = response.content.decode()
    assert "Row 2: unknown level village." in page
    assert "CC,枫林社区,village,S1" in page
    assert state() == before


def test_import_page_creates_from_a_file(world, client_for):
    upload = SimpleUploadedFile(
        "tree.csv", csv_text("CC,枫林社区,社区,S1", "CC-01,枫林一网格,网格,CC").encode(), "text/csv"
    )
    client = client_for(world.admin)
    response = client.post(reverse("org:import"), {"file": upload}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("org:tree")
    assert "2 created, 0 updated" in response.content.decode()
    assert Jurisdiction.objects.filter(code__in=["CC", "CC-01"]).count() == 2
    assert Event.objects.filter(action="org.jurisdiction.created", actor=world.admin).count() == 2


def test_import_page_wants_exactly_one_source(world, client_for):
    client = client_for(world.admin)
    response = client.post(reverse("org:import"), {"text": "  "})
    assert response.context["form"].errors
    upload = SimpleUploadedFile("t.csv", b"code,name,level,parent_code\n")
    response = client.post(reverse("org:import"), {"file": upload, "text": "x"})
    assert "not both" in response.content.decode()


def test_import_page_of_admin_b_refuses_rows_of_a(world, client_for):
    before = state()
    response = client_for(world.admin_b).post(
        reverse("org:import"), {"text": csv_text("CA-01,改名,grid,CA")}
    )
    assert "Row 2: CA-01 is outside your jurisdiction." in response.content.decode()
    assert state() == before


def test_export_is_the_import_format(world, client_for):
    response = client_for(world.admin).get(reverse("org:export"))
    assert response["Content-Disposition"] == 'attachment; filename="jurisdictions.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["code"] for r in rows] == ["D1", "S1", "CA", "CA-01", "CB", "CB-01"]
    assert rows[2] == {
        "code": "CA", "name": "桂花社区", "level": "community", "parent_code": "S1",
        "polygon": '{"type":"Polygon","coordinates":[[[120.0,30.0],[120.1,30.0],[120.1,30.1],'
                   '[120.0,30.1],[120.0,30.0]]]}',
    }  # fmt: skip


# The node form.


def test_node_form_refuses_a_move_below_its_own_descendant(world, client_for):
    before = state()
    response = client_for(world.admin).post(
        reverse("org:node_edit", args=[world.community_a.pk]),
        {"code": "CA", "name": "桂花社区", "level": "community", "parent": world.grid_a1.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "parent": ["this parent would make a cycle in the tree."]
    }
    assert state() == before


def test_node_form_puts_tree_problems_on_their_fields(world, client_for):
    response = client_for(world.admin).post(
        reverse("org:node_create"),
        {"code": "G9", "name": "网格九", "level": "grid", "parent": world.street.pk,
         "polygon": ""},
    )  # fmt: skip
    assert response.context["form"].errors == {
        "level": ["a Grid cannot be placed under a Street / township."]
    }
    response = client_for(world.admin).post(
        reverse("org:node_edit", args=[world.grid_a1.pk]),
        {"code": "CA-01", "name": "桂花一网格", "level": "grid", "parent": world.community_a.pk,
         "polygon": '{"type": "Polygon", "coordinates": [[[121, 31], [121.1, 31], [121.1, 31.1],'
                    ' [121, 31]]]}'},
    )  # fmt: skip
    assert response.context["form"].errors == {
        "polygon": ["the boundary of CA-01 lies outside its parent's boundary."]
    }


def test_node_form_accepts_a_grid_inside_its_community(world, client_for):
    response = client_for(world.admin).post(
        reverse("org:node_create"),
        {"code": "CA-02", "name": "桂花二网格", "level": "grid", "parent": world.community_a.pk,
         "polygon": '{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", '
                    '"coordinates": [[[120.01, 30.01], [120.03, 30.01], [120.03, 30.03], '
                    '[120.01, 30.01]]]}}'},
    )  # fmt: skip
    node = Jurisdiction.objects.get(code="CA-02")
    assert response.status_code == 302
    assert node.polygon["type"] == "Polygon"
    assert lies_within(node.polygon, SQUARE_A)


# Commands.


def test_import_command_imports_and_exits_zero(world, tmp_path):
    path = tmp_path / "tree.csv"
    path.write_text(csv_text("CC,枫林社区,community,S1"), encoding="utf-8")
    out = io.StringIO()
    call_command("import_jurisdictions", str(path), stdout=out)
    assert "1 created" in out.getvalue()
    created = Event.objects.get(action="org.jurisdiction.created")
    assert created.actor is None


def test_import_command_prints_every_problem_and_exits_one(world, tmp_path, capsys):
    path = tmp_path / "tree.csv"
    path.write_text(csv_text("CC,,community,S1", "CC-01,x,grid,NOPE"), encoding="utf-8")
    before = state()
    stderr = io.StringIO()
    # CommandError is what manage.py turns into exit status 1; run_from_argv would also
    # close the test's database connection, which PostgreSQL does not survive.
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_jurisdictions", str(path), stderr=stderr)
    err = stderr.getvalue()
    assert "Row 2: the name is empty." in err
    assert "Row 3: unknown jurisdiction code NOPE." in err
    assert state() == before


def test_import_command_exits_one_on_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_jurisdictions", str(tmp_path / "missing.csv"))


def test_demo_runs_twice_without_duplicates_and_grids_lie_inside(db):
    call_command("demo", stdout=io.StringIO())
    counts = (
        Jurisdiction.objects.count(),
        Unit.objects.count(),
        User.objects.count(),
        Event.objects.count(),
    )
    call_command("demo", stdout=io.StringIO())
    assert counts == (
        Jurisdiction.objects.count(),
        Unit.objects.count(),
        User.objects.count(),
        Event.objects.count(),
    )
    assert counts[0] == len(township.tree_rows())
    grids = Jurisdiction.objects.filter(level=Level.GRID).select_related("parent")
    assert grids.count() == len(township.COMMUNITIES) * township.GRID_COLUMNS * township.GRID_ROWS
    for grid in grids:
        assert grid.polygon and grid.parent.polygon
        assert lies_within(grid.polygon, grid.parent.polygon), grid.code
    # Every demo account's unit sits at its node or above it (the rule of the user form).
    for account in User.objects.exclude(unit=None).select_related("jurisdiction", "unit"):
        assert account.jurisdiction.path.startswith(account.unit.jurisdiction.path)
