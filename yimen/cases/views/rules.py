"""The administrator's routing rules (分流规则): category → handling unit, per jurisdiction.

Rules are fetched only through ``get_for_user_or_404`` and listed through ``for_user``; the
scope is resolved before the role is checked, so another community's rule is a 404 for
everybody. Every change writes one audit event with what changed, co-units included.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yimen.audit.services import diff, record, snapshot
from yimen.org.forms import node_choices, scoped_nodes
from yimen.org.models import Unit
from yimen.org.permissions import can_manage_org, require, staff
from yimen.org.scoping import get_for_user_or_404

from ..models import Category, RoutingRule
from ..routing import ancestor_ids

RULE_FIELDS = ["jurisdiction", "category", "stage", "unit"]


def rule_units(user: Any) -> QuerySet[Unit]:
    """Units a rule of this administrator may name: in their subtree or above their node.

    A community may send matters to its street's police station, never to a unit of
    another community.
    """
    path = user.visible_path
    if not path:
        return Unit.objects.none()
    return (
        Unit.objects.filter(
            Q(jurisdiction__path__startswith=path) | Q(jurisdiction_id__in=ancestor_ids(path)),
            is_active=True,
        )
        .select_related("jurisdiction")
        .order_by("jurisdiction__path", "name")
    )


def _unit_label(unit: Unit) -> str:
    return f"{unit.name} ({unit.jurisdiction.name})"


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = [*RULE_FIELDS, "co_units"]
        widgets = {"co_units": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        node_field = self.fields["jurisdiction"]
        node_field.queryset = scoped_nodes(user)
        top = user.jurisdiction.depth if user.jurisdiction_id else 0
        node_field.widget.choices = node_choices(node_field.queryset, top)
        self.fields["category"].queryset = Category.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.category_id)
        )
        units = rule_units(user)
        for name in ("unit", "co_units"):
            self.fields[name].queryset = units
            self.fields[name].label_from_instance = _unit_label
        self.fields["co_units"].help_text = gettext_lazy(
            "Optional: units that handle these matters with the lead unit (联办)."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        node, unit = data.get("jurisdiction"), data.get("unit")
        co_units = list(data.get("co_units") or [])
        if node is None:
            return data
        for name, chosen in (("unit", [unit] if unit else []), ("co_units", co_units)):
            for u in chosen:
                if not node.path.startswith(u.jurisdiction.path):
                    self.add_error(
                        name,
                        forms.ValidationError(
                            _("%(unit)s is not at %(node)s or above it."),
                            code="unit_outside",
                            params={"unit": u.name, "node": node.name},
                        ),
                    )
        if unit is not None and unit in co_units:
            self.add_error("co_units", _("The lead unit cannot also be a co-unit."))
        return data


def _state(rule: RoutingRule) -> dict[str, Any]:
    return {**snapshot(rule, RULE_FIELDS), "co_units": sorted(u.pk for u in rule.co_units.all())}


def _require_admin(user: Any) -> None:
    if not can_manage_org(user):
        raise PermissionDenied


@require(can_manage_org)
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = (
        RoutingRule.objects.for_user(request.user)
        .select_related("jurisdiction", "category", "unit")
        .prefetch_related("co_units")
        .order_by("jurisdiction__path", "category__position", "-stage")  # first handling first
    )
    return render(request, "cases/rules/list.html", {"rules": rules})


@require(can_manage_org)
def rule_new(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, RoutingRule())


@require(staff)
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_for_user_or_404(RoutingRule, request.user, pk=pk)
    _require_admin(request.user)
    return _rule_form(request, rule)


def _rule_form(request: HttpRequest, rule: RoutingRule) -> HttpResponse:
    # Validating the form writes what was typed onto the rule: take title and state first.
    title = str(rule) if rule.pk else ""
    before = _state(rule) if rule.pk and request.method == "POST" else {}
    if request.method == "POST":
        form = RoutingRuleForm(request.POST, instance=rule, user=request.user)
        if form.is_valid():
            verb = "updated" if rule.pk else "created"
            with transaction.atomic():
                saved = form.save()
                record(
                    f"cases.routingrule.{verb}",
                    saved,
                    actor=request.user,
                    changes=diff(before, _state(saved)),
                )
            messages.success(request, _("Saved the rule %(rule)s.") % {"rule": saved})
            return redirect("cases:rules")
    else:
        form = RoutingRuleForm(instance=rule, user=request.user)
    return render(request, "cases/rules/form.html", {"form": form, "title": title, "rule": rule})


@require_POST
@require(staff)
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_for_user_or_404(RoutingRule, request.user, pk=pk)
    _require_admin(request.user)
    with transaction.atomic():
        record("cases.routingrule.deleted", rule, actor=request.user, changes=_state(rule))
        name = str(rule)
        rule.delete()
    messages.success(request, _("Deleted the rule %(rule)s.") % {"rule": name})
    return redirect("cases:rules")


urlpatterns = [
    path("rules/", rule_list, name="rules"),
    path("rules/new/", rule_new, name="rule_new"),
    path("rules/<int:pk>/edit/", rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rule_delete, name="rule_delete"),
]
