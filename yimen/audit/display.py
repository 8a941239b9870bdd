"""How an event reads on screen: its changes as "before → after", its object type by name.

``changes`` is normally a diff, ``{field: [before, after]}``; a few actions store facts about
the event instead (which fields were viewed, how many days were loaded), and a two-item list
there must not be read as a change.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from .models import Event

FACT_ACTIONS = frozenset(
    {"privacy.personal_data.viewed", "workdays.year.loaded", "workdays.year.published"}
)


@dataclass(frozen=True)
class ChangeLine:
    """One field of an event: ``before → after`` for a change, only ``after`` for a fact."""

    field: str
    label: str
    before: str
    after: str
    is_change: bool


def change_lines(event: Event) -> list[ChangeLine]:
    """The event's changes line by line, fields and choices named as the forms name them."""
    changes = event.changes if isinstance(event.changes, dict) else {"": event.changes}
    model = _model(event.object_type)
    is_diff = event.action not in FACT_ACTIONS
    lines = []
    for key, value in changes.items():
        field = _field(model, key)
        label = str(field.verbose_name) if field else key
        if is_diff and isinstance(value, list) and len(value) == 2:
            before, after = (format_value(_choice_label(field, v)) for v in value)
            if before or after:  # None → "" is no change a reader could see
                lines.append(ChangeLine(key, label, before, after, True))
        elif key == "fields" and isinstance(value, list):
            names = [_field_label(model, name) for name in value]
            lines.append(ChangeLine(key, _("fields viewed"), "", format_value(names), False))
        else:
            lines.append(ChangeLine(key, label, "", format_value(value), False))
    return lines


def format_value(value: Any) -> str:
    """A stored JSON value as text; empty for "no value" so the page can say so."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False)


def object_type_label(code: str) -> str:
    """``org.unit`` → the model's verbose name, so the log reads in the user's language."""
    model = _model(code)
    return str(model._meta.verbose_name) if model else code


def object_type_choices() -> list[tuple[str, str]]:
    """Every Yimen model an event may be about, by name; no query over the whole log."""
    choices = [
        (model._meta.label_lower, str(model._meta.verbose_name))
        for model in apps.get_models()
        if model.__module__.startswith("yimen.") and model._meta.app_label != "audit"
    ]
    return sorted(choices, key=lambda choice: choice[1])


def _model(code: str) -> type[models.Model] | None:
    try:
        return apps.get_model(code)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None or not name:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None  # not a reverse relation


def _field_label(model: type[models.Model] | None, name: Any) -> str:
    field = _field(model, name) if isinstance(name, str) else None
    return str(field.verbose_name) if field else str(name)


def _choice_label(field: models.Field | None, value: Any) -> Any:
    """A stored choice as its label ("grid" → "网格"); any other value as it is."""
    if field is None or not field.choices or isinstance(value, list | dict):
        return value
    label = dict(field.flatchoices).get(value)
    return value if label is None else str(label)
