"""Scoping from the outside: what a user of community B can reach of community A.

Nothing. Every object of A is a 404 (never a 403, which would confirm it exists), and every
list, count and export of B's users holds none of A's rows.
"""

import csv
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.urls import reverse

from yimen.org.models import Jurisdiction, Unit, User
from yimen.org.scoping import get_for_user_or_404

from .factories import UserFactory

pytestmark = pytest.mark.usefixtures("english")  # messages are asserted in English


def a_objects(world):
    """Addresses of community A's objects, each with the page that shows or edits it."""
    return {
        "node page": reverse("org:node", args=[world.community_a.pk]),
        "grid page": reverse("org:node", args=[world.grid_a1.pk]),
        "node edit": reverse("org:node_edit", args=[world.community_a.pk]),
        "node create below": reverse("org:node_create") + f"?parent={world.community_a.pk}",
        "unit edit": reverse("org:unit_edit", args=[world.station_a.pk]),
        "unit create at": reverse("org:unit_create") + f"?jurisdiction={world.community_a.pk}",
        "user edit": reverse("org:user_edit", args=[world.desk.pk]),
    }


def a_names(world):
    return [
        world.community_a.name,
        world.grid_a1.name,
        world.station_a.name,
        world.desk.display_name,
        world.mediator.display_name,
        world.grid.display_name,
    ]


@pytest.mark.parametrize("persona", ["desk_b", "admin_b"])
@pytest.mark.parametrize(
    "page",
    [
        "node page",
        "grid page",
        "node edit",
        "node create below",
        "unit edit",
        "unit create at",
        "user edit",
    ],
)
def test_other_communitys_objects_are_not_found(world, client_for, persona, page):
    client = client_for(getattr(world, persona))
    url = a_objects(world)[page]
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x"}).status_code == 404


def test_own_community_is_reachable_for_its_admin(world, client_for):
    client = client_for(world.admin_b)
    assert client.get(reverse("org:node", args=[world.community_b.pk])).status_code == 200
    assert client.get(reverse("org:node_edit", args=[world.grid_b1.pk])).status_code == 200
    assert client.get(reverse("org:unit_edit", args=[world.station_b.pk])).status_code == 200
    assert client.get(reverse("org:user_edit", args=[world.desk_b.pk])).status_code == 200


def test_nobody_reaches_a_node_above_their_own(world, client_for):
    street = reverse("org:node", args=[world.street.pk])
    police = reverse("org:unit_edit", args=[world.police.pk])
    for persona in (world.admin_b, world.desk_b, world.desk):
        assert client_for(persona).get(street).status_code == 404
        assert client_for(persona).get(police).status_code == 404


@pytest.mark.parametrize("persona", ["desk_b", "admin_b"])
def test_tree_page_shows_nothing_of_a(world, client_for, persona):
    response = client_for(getattr(world, persona)).get(reverse("org:tree"))
    assert response.status_code == 200
    shown = {row["node"].code for row in response.context["rows"]}
    assert shown == {"CB", "CB-01"}
    page = response.content.decode()
    for name in [*a_names(world), world.street.name, world.police.name]:
        assert name not in page
    assert ">CA<" not in page and ">CA-01<" not in page


def test_own_node_page_shows_nothing_above_or_beside(world, client_for):
    response = client_for(world.admin_b).get(reverse("org:node", args=[world.community_b.pk]))
    page = response.content.decode()
    assert world.grid_b1.name in page and world.station_b.name in page
    assert world.desk_b.username in page  # admins see the accounts placed here
    for name in [*a_names(world), world.street.name, world.district.name, world.police.name]:
        assert name not in page


def test_users_page_of_b_lists_only_b(world, client_for):
    response = client_for(world.admin_b).get(reverse("org:users"))
    assert response.status_code == 200
    shown = {account.username for account in response.context["page"].object_list}
    assert shown == {"admin_b", "desk_b"}
    assert response.context["page"].paginator.count == 2
    page = response.content.decode()
    for name in a_names(world):
        assert name not in page


def test_users_filter_cannot_reach_a(world, client_for):
    client = client_for(world.admin_b)
    response = client.get(reverse("org:users"), {"jurisdiction": world.community_a.pk})
    shown = {account.username for account in response.context["page"].object_list}
    assert shown == {"admin_b", "desk_b"}
    assert response.context["filters"].errors  # the out-of-scope choice is refused, not used
    assert world.community_a.name not in response.content.decode()


def test_export_of_b_holds_only_b(world, client_for):
    response = client_for(world.admin_b).get(reverse("org:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["code"] for row in rows} == {"CB", "CB-01"}
    for name in a_names(world):
        assert name not in text
    assert "CA" not in {row["parent_code"] for row in rows}


@pytest.mark.parametrize(
    ("persona", "jurisdictions", "units"),
    [
        ("admin", 6, 3),
        ("director", 5, 3),
        ("desk", 2, 1),
        ("desk_b", 2, 1),
        ("admin_b", 2, 1),
        ("grid", 1, 0),
    ],
)
def test_home_counts_follow_the_scope(world, client_for, persona, jurisdictions, units):
    response = client_for(getattr(world, persona)).get("/")
    assert response.context["jurisdiction_count"] == jurisdictions
    assert response.context["unit_count"] == units


@pytest.mark.parametrize(
    "url_name",
    ["org:tree", "org:users", "org:import", "org:export", "org:node_create", "org:user_create"],
)
def test_anonymous_is_sent_to_login(world, client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_is_sent_to_login_from_object_pages(world, client):
    for url in a_objects(world).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_desk_may_look_but_not_manage_its_own_community(world, client_for):
    client = client_for(world.desk)
    assert client.get(reverse("org:tree")).status_code == 200
    assert client.get(reverse("org:node", args=[world.community_a.pk])).status_code == 200
    forbidden = [
        reverse("org:node_edit", args=[world.community_a.pk]),
        reverse("org:node_create") + f"?parent={world.community_a.pk}",
        reverse("org:unit_edit", args=[world.station_a.pk]),
        reverse("org:unit_create") + f"?jurisdiction={world.community_a.pk}",
        reverse("org:user_edit", args=[world.mediator.pk]),
        reverse("org:user_edit", args=[world.desk.pk]),
        reverse("org:users"),
        reverse("org:user_create"),
        reverse("org:import"),
        reverse("org:export"),
    ]
    for url in forbidden:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "x"}).status_code == 403, url
    world.community_a.refresh_from_db()
    assert world.community_a.name == "桂花社区"


def test_desk_sees_no_edit_links_nor_accounts(world, client_for):
    response = client_for(world.desk).get(reverse("org:node", args=[world.community_a.pk]))
    page = response.content.decode()
    assert reverse("org:node_edit", args=[world.community_a.pk]) not in page
    assert reverse("org:unit_edit", args=[world.station_a.pk]) not in page
    assert response.context["accounts"] is None


def test_admin_b_cannot_place_anything_in_a(world, client_for):
    client = client_for(world.admin_b)
    units, users, nodes = Unit.objects.count(), User.objects.count(), Jurisdiction.objects.count()
    client.post(
        reverse("org:unit_create"),
        {"name": "x", "kind": "office", "jurisdiction": world.community_a.pk, "is_active": "on"},
    )
    client.post(
        reverse("org:user_create"),
        {
            "username": "intruder",
            "role": "desk",
            "jurisdiction": world.community_a.pk,
            "is_active": "on",
            "password1": "a-long-secret-9127",
            "password2": "a-long-secret-9127",
        },
    )
    client.post(
        reverse("org:user_edit", args=[world.desk_b.pk]),
        {"username": "desk_b", "role": "desk", "jurisdiction": world.community_b.pk,
         "unit": world.station_a.pk, "is_active": "on"},
    )  # fmt: skip
    client.post(
        reverse("org:node_create"),
        {"code": "CA-02", "name": "x", "level": "grid", "parent": world.community_a.pk},
    )
    assert (Unit.objects.count(), User.objects.count(), Jurisdiction.objects.count()) == (
        units,
        users,
        nodes,
    )
    world.desk_b.refresh_from_db()
    assert world.desk_b.unit == world.station_b


# The queryset itself.


def test_for_user_sees_the_subtree_only(world):
    codes = set(Jurisdiction.objects.for_user(world.desk).values_list("code", flat=True))
    assert codes == {"CA", "CA-01"}
    assert set(Unit.objects.for_user(world.desk_b)) == {world.station_b}
    assert set(User.objects.for_user(world.admin_b)) == {world.admin_b, world.desk_b}


def test_for_user_sees_nothing_when_inactive(world):
    world.admin.is_active = False
    world.admin.save()
    assert not Jurisdiction.objects.for_user(world.admin).exists()
    assert not Unit.objects.for_user(world.admin).exists()
    assert not User.objects.for_user(world.admin).exists()


def test_for_user_sees_nothing_without_a_jurisdiction(world):
    drifter = UserFactory(jurisdiction=None)
    assert not Jurisdiction.objects.for_user(drifter).exists()
    assert not User.objects.for_user(drifter).exists()
    assert not Jurisdiction.objects.for_user(AnonymousUser()).exists()


def test_for_user_follows_a_move(world):
    world.desk.jurisdiction = world.community_b
    world.desk.save()
    codes = set(Jurisdiction.objects.for_user(world.desk).values_list("code", flat=True))
    assert codes == {"CB", "CB-01"}


def test_get_for_user_or_404_is_404_for_others_and_for_junk(world):
    assert get_for_user_or_404(Jurisdiction, world.desk, pk=world.grid_a1.pk) == world.grid_a1
    for pk in (world.community_b.pk, "junk", None, 10**9):
        with pytest.raises(Http404):
            get_for_user_or_404(Jurisdiction, world.desk, pk=pk)


def test_any_lookup_matches_in_and_sends_one_array_on_postgresql(world):
    """``__any`` (yimen.org.scoping.AnyOf) selects what ``__in`` does; on PostgreSQL the ids
    travel as one array parameter, whatever their number."""
    from django.db import connection

    from yimen.org.models import Jurisdiction

    ids = [world.community_a.pk, world.grid_a1.pk, 10**9]
    by_any = Jurisdiction.objects.filter(pk__any=ids).order_by("pk")
    assert list(by_any) == list(Jurisdiction.objects.filter(pk__in=ids).order_by("pk"))
    units = type(world.station_a).objects.filter(jurisdiction_id__any=ids)
    assert list(units) == [world.station_a]
    assert list(Jurisdiction.objects.filter(pk__any=[])) == []
    sql, params = by_any.query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(%s::bigint[])" in sql and params == ("{" + ",".join(map(str, ids)) + "}",)
