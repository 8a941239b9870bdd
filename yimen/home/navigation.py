"""The navigation bar, by role: each entry names the check that shows it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yimen.accountability.permissions import can_view_accountability
from yimen.cases.workflow import REGISTRAR_ROLES
from yimen.jobs.services import can_manage_jobs
from yimen.ledgers.registry import ledgers_for
from yimen.mediation.permissions import can_read_mediation_reports
from yimen.org.models import Role
from yimen.org.permissions import can_manage_org, can_view_audit, has_role, staff


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    visible: Callable[[Any], bool]


# Who works the supervision desk and board (督查督办): handling units reach them from a case.
SUPERVISING = (Role.SUPERVISOR, Role.DIRECTOR, Role.LEADER)

NAV = [
    NavItem(_("Home"), "home", staff),
    NavItem(_("My work"), "cases:inbox", staff),
    NavItem(_("Dashboard"), "dashboard:index", staff),
    NavItem(_("Register"), "cases:new", lambda user: has_role(user, *REGISTRAR_ROLES)),
    NavItem(_("Cases"), "cases:list", staff),
    NavItem(_("Routing"), "cases:routing_queue", lambda user: has_role(user, Role.DIRECTOR)),
    NavItem(_("Supervision"), "supervision:desk", lambda user: has_role(user, *SUPERVISING)),
    NavItem(_("Named supervision"), "supervision:board", lambda user: has_role(user, *SUPERVISING)),
    NavItem(
        _("Reminder slips"),
        "supervision:reminders",
        lambda user: has_role(user, *SUPERVISING, Role.UNIT, Role.MEDIATOR),
    ),
    NavItem(_("Routing rules"), "cases:rules", can_manage_org),
    NavItem(_("Mediation"), "mediation:mine", can_read_mediation_reports),
    NavItem(_("Ledgers"), "ledgers:index", lambda user: bool(ledgers_for(user))),
    NavItem(_("Accountability"), "accountability:index", can_view_accountability),
    NavItem(_("Organisation"), "org:tree", staff),
    NavItem(_("Staff accounts"), "org:users", can_manage_org),
    NavItem(_("Calendar"), "workdays:year", staff),
    NavItem(_("Audit log"), "audit:events", can_view_audit),
    NavItem(_("Webhooks"), "notices:webhooks", can_manage_org),
    NavItem(_("Failed tasks"), "jobs:failed", can_manage_jobs),
]


def nav_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    """The entries this user may use; the one whose URL is the longest prefix is current."""
    items = [
        {"label": item.label, "url": reverse(item.url_name), "active": False}
        for item in NAV
        if item.visible(user)
    ]
    matches = [i for i in items if current_path == i["url"] or
               (i["url"] != "/" and current_path.startswith(i["url"]))]  # fmt: skip
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items
