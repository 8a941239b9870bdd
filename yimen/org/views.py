"""The administrator's pages for the jurisdiction tree, units and staff accounts.

Objects are fetched only through ``get_for_user_or_404`` and listed only through
``for_user``, and the scope is resolved before the role is checked: someone else's object is
a 404 for everybody, and a 403 only ever speaks of an object the user may already see.
"""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import tree
from .forms import ImportForm, NodeForm, UnitForm, UserFilterForm, UserForm, child_level
from .models import Jurisdiction, Unit, User
from .permissions import can_manage_org, require, staff
from .scoping import get_for_user_or_404

USERS_PER_PAGE = 50


def _require_admin(user: Any) -> None:
    if not can_manage_org(user):
        raise PermissionDenied


def _node_from_query(request: HttpRequest, name: str) -> Jurisdiction | None:
    """The node a ``?parent=`` / ``?jurisdiction=`` link preselects; 404 when not visible."""
    value = request.GET.get(name)
    if not value:
        return None
    return get_for_user_or_404(Jurisdiction, request.user, pk=value)


@require(staff)
def tree_view(request: HttpRequest) -> HttpResponse:
    """The user's own subtree, indented from their node down."""
    user = request.user
    nodes = (
        Jurisdiction.objects.for_user(user)
        .defer("polygon")
        .annotate(
            has_boundary=ExpressionWrapper(Q(polygon__isnull=False), output_field=BooleanField())
        )
    )
    unit_counts = dict(
        Unit.objects.for_user(user)
        .values("jurisdiction")
        .annotate(n=Count("pk"))
        .values_list("jurisdiction", "n")
    )
    top = user.jurisdiction.depth
    rows = [
        {"node": node, "indent": min(node.depth - top, 3), "units": unit_counts.get(node.pk, 0)}
        for node in nodes
    ]
    context = {"rows": rows, "can_manage": can_manage_org(user)}
    return render(request, "org/tree.html", context)


@require(staff)
def node_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    node = get_for_user_or_404(Jurisdiction, user, pk=pk)
    visible = Jurisdiction.objects.for_user(user).defer("polygon")
    ancestor_pks = [int(part) for part in node.path.strip("/").split("/")[:-1]]
    can_manage = can_manage_org(user)
    ancestors = list(visible.filter(pk__in=ancestor_pks))
    context = {
        "node": node,
        "polygon_json": json.dumps(node.polygon, ensure_ascii=False) if node.polygon else "",
        "ancestors": ancestors,
        "parent": next((a for a in ancestors if a.pk == node.parent_id), None),
        "children": visible.filter(parent=node),
        "units": Unit.objects.for_user(user).filter(jurisdiction=node),
        "accounts": (
            User.objects.for_user(user).filter(jurisdiction=node).select_related("unit")
            if can_manage
            else None
        ),
        "can_manage": can_manage,
        "child_level": child_level(node),
    }
    return render(request, "org/node_detail.html", context)


@require(staff)
def node_create(request: HttpRequest) -> HttpResponse:
    parent = _node_from_query(request, "parent")
    _require_admin(request.user)
    initial = {"parent": parent.pk, "level": child_level(parent)} if parent else {}
    return _node_form(request, None, initial)


@require(staff)
def node_edit(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_for_user_or_404(Jurisdiction, request.user, pk=pk)
    _require_admin(request.user)
    return _node_form(request, node, {})


def _node_form(
    request: HttpRequest, node: Jurisdiction | None, initial: dict[str, Any]
) -> HttpResponse:
    if request.method == "POST":
        form = NodeForm(request.POST, user=request.user, instance=node)
        if form.is_valid():
            try:
                saved = form.save(actor=request.user)
            except tree.TreeError as exc:
                form.add_problems(exc.problems)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
                return redirect("org:node", pk=saved.pk)
    else:
        form = NodeForm(user=request.user, instance=node, initial=initial)
    return render(request, "org/node_form.html", {"form": form, "node": node})


@require(can_manage_org)
def import_view(request: HttpRequest) -> HttpResponse:
    """Validate the whole file, then write all of it or nothing."""
    problems: list[tree.Problem] = []
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            text = form.cleaned_data["csv_text"]
            try:
                result = tree.import_csv(text, actor=request.user)
            except tree.TreeError as exc:
                problems = exc.problems
                if form.cleaned_data["from_file"]:
                    # Show the file's rows so they can be corrected here and sent again.
                    form = ImportForm(data={"text": text})
            else:
                messages.success(
                    request,
                    _(
                        "Import finished: %(created)d created, %(updated)d updated, "
                        "%(unchanged)d unchanged."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("org:tree")
    else:
        form = ImportForm()
    context = {"form": form, "problems": problems, "columns": [*tree.CSV_COLUMNS, "polygon"]}
    return render(request, "org/import.html", context)


@require(can_manage_org)
def export_csv(request: HttpRequest) -> HttpResponse:
    """The administrator's subtree in the import format: a backup and a template."""
    nodes = Jurisdiction.objects.for_user(request.user).select_related("parent")
    response = HttpResponse(tree.export_csv(nodes), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="jurisdictions.csv"'
    return response


@require(staff)
def unit_create(request: HttpRequest) -> HttpResponse:
    node = _node_from_query(request, "jurisdiction")
    _require_admin(request.user)
    return _unit_form(request, Unit(), {"jurisdiction": node.pk} if node else {})


@require(staff)
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_for_user_or_404(Unit, request.user, pk=pk)
    _require_admin(request.user)
    return _unit_form(request, unit, {})


def _unit_form(request: HttpRequest, unit: Unit, initial: dict[str, Any]) -> HttpResponse:
    # A failed form leaves what was typed on the instance: take title and way back first.
    title = str(unit) if unit.pk else ""
    back = unit.jurisdiction_id or initial.get("jurisdiction")
    if request.method == "POST":
        form = UnitForm(request.POST, instance=unit, user=request.user)
        if form.is_valid():
            saved = form.save_audited(actor=request.user)
            messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
            return redirect("org:node", pk=saved.jurisdiction_id)
    else:
        form = UnitForm(instance=unit, initial=initial, user=request.user)
    return render(request, "org/unit_form.html", {"form": form, "title": title, "back": back})


@require(can_manage_org)
def users(request: HttpRequest) -> HttpResponse:
    """Staff accounts of the administrator's subtree, filtered by role and jurisdiction."""
    filters = UserFilterForm(request.GET or None, user=request.user)
    accounts = User.objects.for_user(request.user).select_related("jurisdiction", "unit")
    accounts = filters.filter(accounts).order_by("jurisdiction__path", "username")
    page = Paginator(accounts, USERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"filters": filters, "page": page}
    return render(request, "org/user_list.html", context)


@require(can_manage_org)
def user_create(request: HttpRequest) -> HttpResponse:
    return _user_form(request, User())


@require(staff)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_for_user_or_404(User, request.user, pk=pk)
    _require_admin(request.user)
    return _user_form(request, account)


def _user_form(request: HttpRequest, account: User) -> HttpResponse:
    title = str(account) if account.pk else ""  # a failed form leaves what was typed on it
    if request.method == "POST":
        form = UserForm(request.POST, instance=account, user=request.user)
        if form.is_valid():
            saved = form.save_audited(actor=request.user)
            if saved.pk == request.user.pk and form.cleaned_data.get("password1"):
                update_session_auth_hash(request, saved)  # stay logged in after one's own change
            messages.success(request, _("Saved %(name)s.") % {"name": saved})
            return redirect("org:users")
    else:
        form = UserForm(instance=account, user=request.user)
    context = {"form": form, "title": title}
    return render(request, "org/user_form.html", context)
