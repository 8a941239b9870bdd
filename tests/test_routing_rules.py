"""The administrator's routing rules: data that drives the routing suggestion, kept in scope."""

import pytest
from django.urls import reverse

from yimen.audit.models import Event
from yimen.cases.models import Category, RoutingRule, Stage
from yimen.cases.routing import suggest_unit


def rule_at(w, node, code="neighbour", stage=Stage.INITIAL):
    return RoutingRule.objects.get(jurisdiction=node, category__code=code, stage=stage)


def form_data(w, **overrides):
    data = {
        "jurisdiction": w.community_a.pk,
        "category": Category.objects.get(code="environment").pk,
        "stage": Stage.INITIAL,
        "unit": w.station_a.pk,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_lists_the_rules_of_their_subtree_only(cases_world, client_for):
    w = cases_world
    response = client_for(w.admin).get(reverse("cases:rules"))
    assert response.status_code == 200
    html = response.content.decode()
    assert w.committee_a.name in html and w.committee_b.name in html and w.police.name in html

    response = client_for(w.admin_b).get(reverse("cases:rules"))
    rules = list(response.context["rules"])
    assert rules and all(r.jurisdiction == w.community_b for r in rules)
    assert w.committee_a.name not in response.content.decode()


def test_admin_creates_a_rule_that_drives_the_suggestion(cases_world, client_for):
    w = cases_world
    environment = Category.objects.get(code="environment")
    assert suggest_unit(w.community_a, environment, Stage.INITIAL).unit == w.hall  # street's

    response = client_for(w.admin).post(
        reverse("cases:rule_new"), form_data(w, co_units=[w.safety.pk])
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:rules")
    rule = rule_at(w, w.community_a, "environment")
    assert rule.unit == w.station_a and list(rule.co_units.all()) == [w.safety]
    suggestion = suggest_unit(w.community_a, environment, Stage.INITIAL)
    assert suggestion.unit == w.station_a and suggestion.co_units == [w.safety]

    event = Event.objects.get(action="cases.routingrule.created", object_id=str(rule.pk))
    assert event.actor == w.admin
    assert event.changes["unit"] == [None, w.station_a.pk]
    assert event.changes["co_units"] == [None, [w.safety.pk]]
    assert event.path == w.community_a.path


def test_admin_edits_a_rule_with_an_audit_event(cases_world, client_for):
    w = cases_world
    rule = rule_at(w, w.community_a)
    client = client_for(w.admin)
    assert client.get(reverse("cases:rule_edit", args=[rule.pk])).status_code == 200
    data = form_data(w, category=rule.category_id, unit=w.committee_a.pk, co_units=[w.police.pk])
    response = client.post(reverse("cases:rule_edit", args=[rule.pk]), data)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert list(rule.co_units.all()) == [w.police]
    event = Event.objects.get(action="cases.routingrule.updated", object_id=str(rule.pk))
    assert event.changes == {"co_units": [[], [w.police.pk]]}


def test_admin_deletes_a_rule_by_post_only(cases_world, client_for):
    w = cases_world
    rule = rule_at(w, w.community_a)
    client = client_for(w.admin)
    url = reverse("cases:rule_delete", args=[rule.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    event = Event.objects.get(action="cases.routingrule.deleted", object_id=str(rule.pk))
    assert event.changes["unit"] == w.committee_a.pk
    # Without the community's rule the street's applies.
    neighbour = Category.objects.get(code="neighbour")
    suggestion = suggest_unit(w.community_a, neighbour, Stage.INITIAL)
    assert suggestion is None or suggestion.unit != w.committee_a


@pytest.mark.parametrize("role", ["director", "desk", "supervisor", "unit", "leader"])
def test_only_administrators_manage_rules(cases_world, client_for, role):
    w = cases_world
    user = getattr(w, role)
    rule = RoutingRule.objects.for_user(user).first()
    assert rule is not None
    client = client_for(user)
    assert client.get(reverse("cases:rules")).status_code == 403
    assert client.get(reverse("cases:rule_new")).status_code == 403
    assert client.post(reverse("cases:rule_new"), form_data(w)).status_code == 403
    assert client.get(reverse("cases:rule_edit", args=[rule.pk])).status_code == 403
    assert client.post(reverse("cases:rule_delete", args=[rule.pk])).status_code == 403
    assert RoutingRule.objects.filter(pk=rule.pk).exists()
    assert not Event.objects.filter(action__startswith="cases.routingrule.").exists()


def test_another_communitys_rule_is_not_found(cases_world, client_for):
    w = cases_world
    rule = rule_at(w, w.community_a)
    client = client_for(w.admin_b)
    assert client.get(reverse("cases:rule_edit", args=[rule.pk])).status_code == 404
    assert client.post(reverse("cases:rule_edit", args=[rule.pk]), form_data(w)).status_code == 404
    assert client.post(reverse("cases:rule_delete", args=[rule.pk])).status_code == 404
    assert RoutingRule.objects.filter(pk=rule.pk, unit=w.committee_a).exists()
    # Nor does desk_b learn whether it exists.
    assert client_for(w.desk_b).get(reverse("cases:rule_edit", args=[rule.pk])).status_code == 404


def test_choices_are_scoped_and_forged_ones_refused(cases_world, client_for):
    w = cases_world
    client = client_for(w.admin_b)
    form = client.get(reverse("cases:rule_new")).context["form"]
    units = set(form.fields["unit"].queryset)
    assert w.committee_b in units and w.police in units  # its own and its street's
    assert w.committee_a not in units and w.station_a not in units
    assert w.community_a not in set(form.fields["jurisdiction"].queryset)

    response = client.post(reverse("cases:rule_new"), form_data(w, jurisdiction=w.community_a.pk))
    assert response.status_code == 200 and "jurisdiction" in response.context["form"].errors
    response = client.post(
        reverse("cases:rule_new"),
        form_data(w, jurisdiction=w.community_b.pk, unit=w.committee_a.pk),
    )
    assert "unit" in response.context["form"].errors
    assert (
        not RoutingRule.objects.filter(category__code="environment")
        .exclude(jurisdiction=w.street)
        .exists()
    )


def test_a_rule_cannot_send_matters_to_another_communitys_unit(cases_world, client_for):
    w = cases_world
    client = client_for(w.admin)
    response = client.post(
        reverse("cases:rule_new"),
        form_data(w, jurisdiction=w.community_b.pk, unit=w.station_a.pk),
    )
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    response = client.post(reverse("cases:rule_new"), form_data(w, co_units=[w.station_a.pk]))
    assert "co_units" in response.context["form"].errors


def test_one_rule_per_place_category_and_stage(cases_world, client_for):
    w = cases_world
    existing = rule_at(w, w.community_a)
    response = client_for(w.admin).post(
        reverse("cases:rule_new"), form_data(w, category=existing.category_id)
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert RoutingRule.objects.filter(jurisdiction=w.community_a,
                                      category=existing.category).count() == 1  # fmt: skip


def test_rules_need_a_login(client, db):
    response = client.get(reverse("cases:rules"))
    assert response.status_code == 302 and "/login/" in response["Location"]
