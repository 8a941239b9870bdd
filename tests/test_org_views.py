"""The administrator's pages: nodes, units and staff accounts, created and edited.

A refused form keeps what was typed and says what is wrong next to the field.
"""

import pytest
from django.urls import reverse

from yimen.audit.models import Event
from yimen.org.models import Jurisdiction, Level, Role, Unit, User

from .factories import UserFactory

pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def user_post(world, **changes):
    data = {
        "username": "clerk",
        "display_name": "钱多多",
        "role": Role.DESK,
        "jurisdiction": world.community_a.pk,
        "unit": world.station_a.pk,
        "phone": "0571-1234",
        "is_active": "on",
        "password1": "Qingshi-Desk-2026",
        "password2": "Qingshi-Desk-2026",
    }
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def account_post(account, **changes):
    data = {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "jurisdiction": account.jurisdiction_id,
        "unit": account.unit_id or "",
        "phone": account.phone,
        "is_active": "on" if account.is_active else "",
    }
    return {k: v for k, v in {**data, **changes}.items() if v != ""}


# The tree and node pages.


def test_tree_page_indents_the_users_subtree(world, client_for):
    response = client_for(world.admin).get(reverse("org:tree"))
    rows = response.context["rows"]
    assert [(r["node"].code, r["indent"], r["units"]) for r in rows] == [
        ("D1", 0, 0), ("S1", 1, 1), ("CA", 2, 1), ("CA-01", 3, 0), ("CB", 2, 1), ("CB-01", 3, 0),
    ]  # fmt: skip
    assert [r["node"].has_boundary for r in rows] == [False, False, True, False, False, False]
    page = response.content.decode()
    assert 'class="tree-indent-3"' in page
    assert reverse("org:import") in page


def test_tree_page_starts_at_the_users_own_node(world, client_for):
    rows = client_for(world.desk).get(reverse("org:tree")).context["rows"]
    assert [(r["node"].code, r["indent"]) for r in rows] == [("CA", 0), ("CA-01", 1)]


def test_node_page_lists_children_units_and_accounts(world, client_for):
    response = client_for(world.admin).get(reverse("org:node", args=[world.community_a.pk]))
    page = response.content.decode()
    assert list(response.context["children"]) == [world.grid_a1]
    assert list(response.context["units"]) == [world.station_a]
    assert set(response.context["accounts"]) == {world.desk, world.mediator}
    assert reverse("org:node_edit", args=[world.community_a.pk]) in page
    assert reverse("org:unit_edit", args=[world.station_a.pk]) in page
    assert reverse("org:user_edit", args=[world.desk.pk]) in page
    assert f"?parent={world.community_a.pk}" in page
    assert world.street.name in page  # the breadcrumb, visible to a district admin


def test_node_create_page_preselects_parent_and_level(world, client_for):
    url = reverse("org:node_create") + f"?parent={world.community_a.pk}"
    form = client_for(world.admin).get(url).context["form"]
    assert form["parent"].value() == world.community_a.pk
    assert form["level"].value() == Level.GRID


def test_node_create_through_the_page(world, client_for):
    response = client_for(world.admin).post(
        reverse("org:node_create"),
        {"code": "CA-02", "name": "桂花二网格", "level": "grid", "parent": world.community_a.pk},
    )
    node = Jurisdiction.objects.get(code="CA-02")
    assert response.status_code == 302
    assert response["Location"] == reverse("org:node", args=[node.pk])
    assert node.parent == world.community_a
    assert node.path.startswith(world.community_a.path)
    event = Event.objects.get(action="org.jurisdiction.created")
    assert event.actor == world.admin and event.object_id == str(node.pk)


def test_node_edit_through_the_page(world, client_for):
    client = client_for(world.admin)
    url = reverse("org:node_edit", args=[world.community_a.pk])
    form = client.get(url).context["form"]
    offered = {value for value, _label in form.fields["parent"].widget.choices}
    assert world.community_a.pk not in offered and world.grid_a1.pk not in offered
    assert world.street.pk in offered
    assert '"type": "Polygon"' in form["polygon"].value()
    response = client.post(
        url,
        {"code": "CA", "name": "桂花苑社区", "level": "community", "parent": world.street.pk,
         "polygon": form["polygon"].value()},
    )  # fmt: skip
    assert response.status_code == 302
    world.community_a.refresh_from_db()
    assert world.community_a.name == "桂花苑社区"
    event = Event.objects.get(action="org.jurisdiction.updated")
    assert event.changes == {"name": ["桂花社区", "桂花苑社区"]}


def test_failed_node_form_keeps_what_was_typed(world, client_for):
    typed = {"code": "CA-02", "name": "桂花二网格", "level": "grid", "parent": world.community_a.pk,
             "polygon": '{"type": "Polygon", "coordinates": [[[120.01, 30.01],'}  # fmt: skip
    before = Jurisdiction.objects.count()
    response = client_for(world.admin).post(reverse("org:node_create"), typed)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["polygon"]
    assert errors["polygon"][0].startswith("This is not valid JSON (line 1, column")
    page = response.content.decode()
    assert 'value="CA-02"' in page and 'value="桂花二网格"' in page
    assert "[[[120.01, 30.01]," in page
    assert f'<option value="{world.community_a.pk}" selected>' in page
    assert Jurisdiction.objects.count() == before


def test_empty_node_form_says_what_is_missing(world, client_for):
    response = client_for(world.admin).post(reverse("org:node_create"), {"name": "x"})
    errors = response.context["form"].errors
    assert set(errors) == {"code", "level"}
    assert errors["code"] == ["This field is required."]


def test_admin_b_edits_their_own_community_without_a_parent_field(world, client_for):
    client = client_for(world.admin_b)
    url = reverse("org:node_edit", args=[world.community_b.pk])
    response = client.get(url)
    assert "parent" not in response.context["form"].fields
    assert world.street.name not in response.content.decode()
    response = client.post(url, {"code": "CB", "name": "柳岸新社区", "level": "community"})
    assert response.status_code == 302
    world.community_b.refresh_from_db()
    assert (world.community_b.name, world.community_b.parent) == ("柳岸新社区", world.street)


# Units.


def test_unit_create_through_the_page(world, client_for):
    url = reverse("org:unit_create") + f"?jurisdiction={world.community_a.pk}"
    client = client_for(world.admin)
    assert client.get(url).context["form"]["jurisdiction"].value() == world.community_a.pk
    response = client.post(
        url,
        {"name": "桂花社区调委会", "kind": "mediation", "jurisdiction": world.community_a.pk,
         "phone": "0571-5555", "address": "桂花路1号", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("org:node", args=[world.community_a.pk])
    unit = Unit.objects.get(name="桂花社区调委会")
    assert (unit.kind, unit.jurisdiction, unit.is_active) == ("mediation", world.community_a, True)
    event = Event.objects.get(action="org.unit.created")
    assert event.changes["name"] == [None, "桂花社区调委会"]
    assert event.path == world.community_a.path


def test_unit_edit_through_the_page(world, client_for):
    response = client_for(world.admin).post(
        reverse("org:unit_edit", args=[world.police.pk]),
        {"name": "青石派出所", "kind": "police", "jurisdiction": world.street.pk,
         "phone": "110", "address": "", "is_active": ""},
    )  # fmt: skip
    assert response.status_code == 302
    world.police.refresh_from_db()
    assert (world.police.phone, world.police.is_active) == ("110", False)
    event = Event.objects.get(action="org.unit.updated")
    assert event.changes == {"phone": ["", "110"], "is_active": [True, False]}


def test_failed_unit_form_keeps_what_was_typed(world, client_for):
    typed = {"name": "桂花社区工作站", "kind": "office", "jurisdiction": world.community_a.pk,
             "phone": "0571-7777", "address": "桂花路9号"}  # fmt: skip
    response = client_for(world.admin).post(reverse("org:unit_create"), typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors()  # the name is taken at this jurisdiction
    page = response.content.decode()
    assert 'value="0571-7777"' in page and 'value="桂花路9号"' in page
    assert Unit.objects.filter(name="桂花社区工作站").count() == 1
    assert not Event.objects.filter(action__startswith="org.unit").exists()


def test_unit_cannot_move_away_from_its_staff(world, client_for):
    response = client_for(world.admin).post(
        reverse("org:unit_edit", args=[world.station_a.pk]),
        {"name": world.station_a.name, "kind": "workstation",
         "jurisdiction": world.community_b.pk, "is_active": "on"},
    )  # fmt: skip
    assert "jurisdiction" in response.context["form"].errors
    world.station_a.refresh_from_db()
    assert world.station_a.jurisdiction == world.community_a


# Staff accounts.


def test_users_page_filters_by_role_and_jurisdiction(world, client_for):
    client = client_for(world.admin)
    everyone = client.get(reverse("org:users")).context["page"].paginator.count
    assert everyone == User.objects.count()
    response = client.get(reverse("org:users"), {"role": Role.DESK})
    assert {a.username for a in response.context["page"].object_list} == {"desk", "desk_b"}
    response = client.get(reverse("org:users"), {"jurisdiction": world.community_a.pk})
    assert {a.username for a in response.context["page"].object_list} == {
        "desk", "mediator", "grid1",
    }  # fmt: skip
    response = client.get(reverse("org:users"), {"q": "desk_"})
    assert [a.username for a in response.context["page"].object_list] == ["desk_b"]


def test_user_create_through_the_page(world, client_for):
    response = client_for(world.admin).post(reverse("org:user_create"), user_post(world))
    assert response.status_code == 302
    account = User.objects.get(username="clerk")
    assert (account.role, account.jurisdiction, account.unit) == (
        Role.DESK,
        world.community_a,
        world.station_a,
    )
    assert account.check_password("Qingshi-Desk-2026")
    created = Event.objects.get(action="org.user.created")
    assert created.changes["username"] == [None, "clerk"]
    assert set(created.changes) <= {"username", "display_name", "role", "jurisdiction", "unit",
                                    "phone", "is_active"}  # fmt: skip
    password_set = Event.objects.get(action="org.user.password_set")
    assert password_set.object_id == str(account.pk)
    for event in (created, password_set):
        assert "Qingshi-Desk-2026" not in str(event.changes)
        assert account.password not in str(event.changes)


def test_user_create_needs_a_good_password(world, client_for):
    client = client_for(world.admin)
    response = client.post(
        reverse("org:user_create"), user_post(world, password1=None, password2=None)
    )
    assert set(response.context["form"].errors) == {"password1", "password2"}
    weak = user_post(world, password1="12345678", password2="12345678")
    response = client.post(reverse("org:user_create"), weak)
    assert "password1" in response.context["form"].errors
    response = client.post(reverse("org:user_create"), user_post(world, password2="other-one-99"))
    assert list(response.context["form"].errors) == ["password2"]
    page = response.content.decode()
    assert 'value="clerk"' in page and 'value="钱多多"' in page  # what was typed stays
    assert "Qingshi-Desk-2026" not in page  # except the password
    assert not User.objects.filter(username="clerk").exists()
    assert not Event.objects.filter(action__startswith="org.user").exists()


def test_user_unit_must_be_at_or_above_the_users_node(world, client_for):
    client = client_for(world.admin)
    response = client.post(reverse("org:user_create"), user_post(world, unit=world.station_b.pk))
    assert list(response.context["form"].errors) == ["unit"]
    # A community police officer may belong to the street's police station.
    response = client.post(reverse("org:user_create"), user_post(world, unit=world.police.pk))
    assert response.status_code == 302
    assert User.objects.get(username="clerk").unit == world.police


def test_user_edit_keeps_the_password_when_left_empty(world, client_for):
    old_hash = world.desk.password
    response = client_for(world.admin).post(
        reverse("org:user_edit", args=[world.desk.pk]),
        account_post(world.desk, display_name="李晓燕", role=Role.MEDIATOR),
    )
    assert response.status_code == 302
    world.desk.refresh_from_db()
    assert (world.desk.display_name, world.desk.role) == ("李晓燕", Role.MEDIATOR)
    assert world.desk.password == old_hash
    event = Event.objects.get(action="org.user.updated")
    assert set(event.changes) == {"display_name", "role"}
    assert not Event.objects.filter(action="org.user.password_set").exists()


def test_user_edit_sets_a_new_password(world, client_for):
    response = client_for(world.admin).post(
        reverse("org:user_edit", args=[world.desk.pk]),
        account_post(world.desk, password1="New-Desk-Secret-77", password2="New-Desk-Secret-77"),
    )
    assert response.status_code == 302
    world.desk.refresh_from_db()
    assert world.desk.check_password("New-Desk-Secret-77")
    assert Event.objects.filter(action="org.user.password_set").count() == 1
    assert not Event.objects.filter(action="org.user.updated").exists()  # nothing else changed


def test_saving_an_unchanged_form_writes_no_event(world, client_for):
    client = client_for(world.admin)
    client.post(reverse("org:user_edit", args=[world.desk.pk]), account_post(world.desk))
    client.post(
        reverse("org:unit_edit", args=[world.police.pk]),
        {"name": "青石派出所", "kind": "police", "jurisdiction": world.street.pk,
         "is_active": "on"},
    )  # fmt: skip
    assert not Event.objects.exists()


def test_a_unit_above_the_admins_subtree_is_kept(world, client_for):
    officer = UserFactory(username="officer", role=Role.UNIT, jurisdiction=world.community_b,
                          unit=world.police)  # fmt: skip
    client = client_for(world.admin_b)
    url = reverse("org:user_edit", args=[officer.pk])
    response = client.get(url)
    assert "unit" not in response.context["form"].fields
    assert world.police.name not in response.content.decode()
    response = client.post(url, account_post(officer, display_name="刘警官", unit=""))
    assert response.status_code == 302
    officer.refresh_from_db()
    assert (officer.display_name, officer.unit) == ("刘警官", world.police)


def test_admin_cannot_lock_themselves_out(world, client_for):
    client = client_for(world.admin)
    url = reverse("org:user_edit", args=[world.admin.pk])
    response = client.post(url, account_post(world.admin, role=Role.DESK, is_active=""))
    assert set(response.context["form"].errors) == {"role", "is_active"}
    world.admin.refresh_from_db()
    assert (world.admin.role, world.admin.is_active) == (Role.ADMIN, True)


def test_admin_changing_their_own_password_stays_logged_in(world, client_for):
    client = client_for(world.admin)
    response = client.post(
        reverse("org:user_edit", args=[world.admin.pk]),
        account_post(world.admin, password1="Admin-Secret-2026", password2="Admin-Secret-2026"),
    )
    assert response.status_code == 302
    assert client.get(reverse("org:users")).status_code == 200


def test_admin_b_places_accounts_only_in_b(world, client_for):
    client = client_for(world.admin_b)
    form = client.get(reverse("org:user_create")).context["form"]
    nodes = {value for value, _label in form.fields["jurisdiction"].widget.choices if value}
    assert nodes == {world.community_b.pk, world.grid_b1.pk}
    assert set(form.fields["unit"].queryset) == {world.station_b}
    response = client.post(
        reverse("org:user_create"),
        user_post(world, jurisdiction=world.grid_b1.pk, unit=world.station_b.pk),
    )
    assert response.status_code == 302
    assert User.objects.get(username="clerk").jurisdiction == world.grid_b1
