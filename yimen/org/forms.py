"""Forms of the administrator's pages: tree nodes, the CSV import, units and staff accounts.

Every choice list is built from the acting administrator's scope, so a form can neither
show nor accept a node, unit or account outside it. The tree's own rules live in
``tree.py``; the node form only turns its problems into field errors.
"""

import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from yimen.audit.services import record, save_with_audit

from . import tree
from .models import PARENT_LEVEL, Jurisdiction, Level, Role, Unit, User

# Largest CSV file the import page accepts; a county's tree is far smaller.
MAX_IMPORT_BYTES = 5 * 1024 * 1024

UNIT_FIELDS = ["name", "kind", "jurisdiction", "phone", "address", "is_active"]
USER_FIELDS = ["username", "display_name", "role", "jurisdiction", "unit", "phone", "is_active"]


def scoped_nodes(user: Any) -> QuerySet[Jurisdiction]:
    """The nodes ``user`` may choose from, in tree order, without their boundaries."""
    return Jurisdiction.objects.for_user(user).defer("polygon")


def node_choices(nodes: Iterable[Jurisdiction], top_depth: int) -> list[tuple[Any, str]]:
    """Select options indented by depth below the user's own node, so the tree shows."""
    return [("", "---------")] + [
        (node.pk, f"{'— ' * max(node.depth - top_depth, 0)}{node.name} ({node.code})")
        for node in nodes
    ]


def _top_depth(user: Any) -> int:
    return user.jurisdiction.depth if user.jurisdiction_id else 0


def child_level(parent: Jurisdiction | None) -> str | None:
    """The only level a new child of ``parent`` may have."""
    if parent is None:
        return None
    return next((child for child, up in PARENT_LEVEL.items() if up == parent.level), None)


def _changes_anything(form: forms.ModelForm, fields: list[str]) -> bool:
    """Whether saving would create the object or change one of ``fields``.

    Saving an unchanged form writes nothing, so the audit log holds no empty events.
    """
    return form.instance._state.adding or bool(set(form.changed_data) & set(fields))


class NodeForm(forms.Form):
    """One node of the tree; saving goes through :func:`tree.save_node`."""

    code = forms.CharField(
        label=capfirst(_("code")),
        max_length=32,
        help_text=_("The administrative division code, unique in the whole tree."),
    )
    name = forms.CharField(label=capfirst(_("name")), max_length=100)
    level = forms.ChoiceField(label=capfirst(_("level")), choices=Level.choices)
    parent = forms.ModelChoiceField(
        label=capfirst(_("parent")), queryset=Jurisdiction.objects.none(), required=False
    )
    polygon = forms.CharField(
        label=capfirst(_("boundary (GeoJSON polygon)")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "Optional. A GeoJSON Polygon or MultiPolygon in WGS 84 longitude/latitude; "
            "a Feature holding one is accepted too."
        ),
    )

    def __init__(self, *args: Any, user: Any, instance: Jurisdiction | None = None, **kwargs):
        self.instance = instance
        initial = kwargs.pop("initial", None) or {}
        if instance is not None:
            polygon = instance.polygon
            initial = {
                "code": instance.code,
                "name": instance.name,
                "level": instance.level,
                "parent": instance.parent_id,
                "polygon": json.dumps(polygon, ensure_ascii=False) if polygon else "",
                **initial,
            }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fixed_parent: Jurisdiction | None = None
        if instance is not None and instance.pk == user.jurisdiction_id:
            # The administrator's own node hangs from a parent they cannot see: it stays put.
            self.fixed_parent = instance.parent
            del self.fields["parent"]
            return
        nodes = scoped_nodes(user)
        field = self.fields["parent"]
        # Any scoped node is accepted, so a forged choice gets tree.py's own reason (a
        # cycle); the list offered leaves out the node itself and everything below it.
        field.queryset = nodes
        if instance is not None:
            nodes = nodes.exclude(path__startswith=instance.path)
        field.widget.choices = node_choices(nodes, _top_depth(user))

    def clean_polygon(self) -> dict[str, Any] | None:
        text = self.cleaned_data["polygon"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s)."),
                code="json",
                params={"line": getattr(exc, "lineno", "?"), "column": getattr(exc, "colno", "?")},
            ) from None
        # Drawing tools hand out Features and FeatureCollections; keep the geometry.
        if isinstance(value, dict) and value.get("type") == "FeatureCollection":
            features = value.get("features") or []
            if len(features) != 1:
                raise forms.ValidationError(
                    _("Paste one boundary, not a collection of %(count)s features."),
                    code="features",
                    params={"count": len(features)},
                )
            value = features[0]
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
            if value is None:
                raise forms.ValidationError(_("The Feature has no geometry."), code="no_geometry")
        return value

    def save(self, *, actor: Any) -> Jurisdiction:
        """Write through the tree rules; raises :class:`tree.TreeError` (see add_problems)."""
        data = dict(self.cleaned_data)
        if "parent" not in self.fields:
            data["parent"] = self.fixed_parent
        return tree.save_node(self.instance, data, actor=actor)

    def add_problems(self, problems: Iterable[tree.Problem]) -> None:
        """Show each refusal of the tree rules next to the field it is about."""
        for problem in problems:
            field = problem.field if problem.field in self.fields else None
            self.add_error(field, str(problem))


class ImportForm(forms.Form):
    """A CSV file of the tree, uploaded or pasted."""

    file = forms.FileField(label=_("CSV file"), required=False)
    text = forms.CharField(
        label=capfirst(_("or paste the rows here")),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload, text = data.get("file"), data.get("text") or ""
        if upload and text.strip():
            raise forms.ValidationError(
                _("Upload a file or paste the rows, not both."), code="both"
            )
        if upload:
            if upload.size > MAX_IMPORT_BYTES:
                self.add_error(
                    "file",
                    forms.ValidationError(
                        _("The file is larger than %(size)s MB."),
                        code="size",
                        params={"size": MAX_IMPORT_BYTES // (1024 * 1024)},
                    ),
                )
                return data
            try:
                data["csv_text"] = tree.decode_csv(upload.read())
            except tree.TreeError as exc:
                self.add_error("file", str(exc))
            data["from_file"] = True
        elif text.strip():
            data["csv_text"] = text
            data["from_file"] = False
        else:
            raise forms.ValidationError(_("Choose a CSV file or paste its rows."), code="empty")
        return data


class UnitForm(forms.ModelForm):
    """A unit placed at a node of the administrator's subtree."""

    class Meta:
        model = Unit
        fields = UNIT_FIELDS

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        field.queryset = scoped_nodes(user)
        field.widget.choices = node_choices(field.queryset, _top_depth(user))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        node = data.get("jurisdiction")
        if self.instance.pk and node is not None and node.pk != self.instance.jurisdiction_id:
            # The unit's staff must stay at or below it (see UserForm), so it cannot move away.
            stranded = (
                User.objects.filter(unit=self.instance)
                .exclude(jurisdiction__path__startswith=node.path)
                .count()
            )
            if stranded:
                self.add_error(
                    "jurisdiction",
                    forms.ValidationError(
                        _(
                            "%(count)s staff accounts of this unit are placed outside the new "
                            "jurisdiction; move them first."
                        ),
                        code="stranded",
                        params={"count": stranded},
                    ),
                )
        return data

    def save_audited(self, *, actor: Any) -> Unit:
        unit = self.save(commit=False)
        if _changes_anything(self, UNIT_FIELDS):
            save_with_audit(unit, UNIT_FIELDS, actor=actor)
        return unit


class UserForm(forms.ModelForm):
    """A staff account: where it sits in the tree, its unit and role, and its password.

    The unit must sit at the account's node or above it: a police officer placed in a
    community may belong to the street's police station, but an account never belongs to a
    unit of a node it cannot see.
    """

    password1 = forms.CharField(
        label=capfirst(_("password")),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=capfirst(_("password (again)")),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = USER_FIELDS

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = user
        creating = self.instance.pk is None
        self.fields["password1"].required = creating
        self.fields["password2"].required = creating
        if not creating:
            self.fields["password1"].help_text = _("Leave empty to keep the current password.")
        self.fields["username"].help_text = _("Letters, digits and @/./+/-/_ only.")
        node_field = self.fields["jurisdiction"]
        node_field.queryset = scoped_nodes(user)
        node_field.widget.choices = node_choices(node_field.queryset, _top_depth(user))
        units = Unit.objects.for_user(user).select_related("jurisdiction")
        self.fixed_unit: Unit | None = None
        if self.instance.unit_id and not units.filter(pk=self.instance.unit_id).exists():
            # A unit above the administrator's subtree (the street's police station of a
            # community officer): neither shown nor lost, it stays as it is.
            self.fixed_unit = self.instance.unit
            del self.fields["unit"]
            return
        units = units.filter(Q(is_active=True) | Q(pk=self.instance.unit_id))
        unit_field = self.fields["unit"]
        unit_field.queryset = units
        unit_field.label_from_instance = lambda unit: f"{unit.name} ({unit.jurisdiction.name})"
        unit_field.help_text = _("Optional. A unit at the account's jurisdiction or above it.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        node = data.get("jurisdiction")
        unit = data.get("unit") if "unit" in self.fields else self.fixed_unit
        if (
            node is not None
            and unit is not None
            and not node.path.startswith(unit.jurisdiction.path)
        ):
            self.add_error(
                "unit" if "unit" in self.fields else "jurisdiction",
                forms.ValidationError(
                    _("%(unit)s is not at %(node)s or above it."),
                    code="unit_outside",
                    params={"unit": unit.name, "node": node.name},
                ),
            )
        if self.instance.pk is not None and self.instance.pk == self.actor.pk:
            # An administrator must not lock themselves out by accident.
            for name in ("role", "jurisdiction", "is_active"):
                if name in data and data[name] != getattr(self.instance, name):
                    self.add_error(
                        name,
                        forms.ValidationError(
                            _("Ask another administrator to change this on your own account."),
                            code="self",
                        ),
                    )
        p1, p2 = data.get("password1"), data.get("password2")
        if (p1 or p2) and p1 != p2:
            self.add_error(
                "password2",
                forms.ValidationError(_("The two passwords differ."), code="mismatch"),
            )
        return data

    def _post_clean(self) -> None:
        # The password validators compare it with the account's own names, so they run
        # once the instance holds what was typed.
        super()._post_clean()
        password = self.cleaned_data.get("password1")
        if password and "password2" not in self.errors:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)

    def save_audited(self, *, actor: Any) -> User:
        """Save with an audit event over the non-secret fields, and one for a new password."""
        account = self.save(commit=False)
        password = self.cleaned_data.get("password1")
        with transaction.atomic():
            if password:
                account.set_password(password)
            if _changes_anything(self, USER_FIELDS):
                save_with_audit(account, USER_FIELDS, actor=actor)
            else:
                account.save(update_fields=["password"])
            if password:
                record("org.user.password_set", account, actor=actor)
        return account


class UserFilterForm(forms.Form):
    """Filters of the staff list; an unknown or out-of-scope value filters nothing."""

    q = forms.CharField(label=capfirst(_("search")), required=False, max_length=50)
    role = forms.ChoiceField(
        label=capfirst(_("role")), required=False, choices=[("", _("all roles")), *Role.choices]
    )
    jurisdiction = forms.ModelChoiceField(
        label=capfirst(_("jurisdiction")), queryset=Jurisdiction.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        field.queryset = scoped_nodes(user)
        field.widget.choices = node_choices(field.queryset, _top_depth(user))

    def filter(self, accounts: QuerySet[User]) -> QuerySet[User]:
        if not self.is_valid():
            return accounts
        data = self.cleaned_data
        if data["q"]:
            accounts = accounts.filter(
                Q(username__icontains=data["q"]) | Q(display_name__icontains=data["q"])
            )
        if data["role"]:
            accounts = accounts.filter(role=data["role"])
        if data["jurisdiction"] is not None:
            accounts = accounts.filter(jurisdiction__path__startswith=data["jurisdiction"].path)
        return accounts
