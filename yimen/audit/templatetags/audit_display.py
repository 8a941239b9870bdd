"""Template filters for audit events, shared by the log pages and later timelines."""

from django import template

from yimen.audit import display
from yimen.audit.models import Event

register = template.Library()


@register.filter
def change_lines(event: Event) -> list[display.ChangeLine]:
    return display.change_lines(event)


@register.filter
def object_type_label(code: str) -> str:
    return display.object_type_label(code)
