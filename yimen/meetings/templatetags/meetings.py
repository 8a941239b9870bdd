"""The "my work" section of a user's open meeting tasks, for ``cases/inbox.html``.

A tag rather than a change to the inbox view: the inbox shows what waits for the user,
and a meeting's decision waits for its owner like a case does.
"""

from typing import Any

from django import template
from django.utils import timezone

from ..queries import open_tasks_of, with_time_left

register = template.Library()


@register.inclusion_tag("meetings/_inbox_tasks.html", takes_context=True)
def my_open_tasks(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    return {"tasks": with_time_left(open_tasks_of(user), timezone.localdate())}
