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
from yimen.reports.rules import may_use as may_use_reports
from yimen.triage.views import may_view as may_view_triage


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    visible: Callable[[Any], bool]


# Who works the supervision desk and board (督查督办): handling units reach them from a case.
SUPERVISING = (Role.SUPERVISOR, Role.DIRECTOR, Role.LEADER)

GROUPS: list[tuple[str | Promise, list[NavItem]]] = [
    (_("Cases"), [
        NavItem(_("Home"), "home", staff),
        NavItem(_("My work"), "cases:inbox", staff),
        NavItem(_("Register"), "cases:new", lambda user: has_role(user, *REGISTRAR_ROLES)),
        NavItem(_("Cases"), "cases:list", staff),
        NavItem(_("Routing"), "cases:routing_queue", lambda user: has_role(user, Role.DIRECTOR)),
        NavItem(_("Mediation"), "mediation:mine", can_read_mediation_reports),
    ]),
    (_("Supervision"), [
        NavItem(_("Supervision"), "supervision:desk", lambda user: has_role(user, *SUPERVISING)),
        NavItem(_("Named supervision"), "supervision:board",
                lambda user: has_role(user, *SUPERVISING)),
        NavItem(_("Reminder slips"), "supervision:reminders",
                lambda user: has_role(user, *SUPERVISING, Role.UNIT, Role.MEDIATOR)),
        NavItem(_("Accountability"), "accountability:index", can_view_accountability),
    ]),
    (_("Safety and field work"), [
        NavItem(_("Grids and patrols"), "fieldwork:index", staff),
        NavItem(_("Map"), "fieldwork:map", staff),
        NavItem(_("Screening campaigns"), "fieldwork:campaigns", staff),
        NavItem(_("Public safety"), "safety:index", staff),
        NavItem(_("Emergency incidents"), "emergency:index", staff),
        NavItem(_("Duty roster"), "emergency:roster", staff),
    ]),
    (_("Reports and meetings"), [
        NavItem(_("Dashboard"), "dashboard:index", staff),
        NavItem(_("Ledgers"), "ledgers:index", lambda user: bool(ledgers_for(user))),
        NavItem(_("Periodic reports"), "reports:index", may_use_reports),
        NavItem(_("Monthly meetings"), "meetings:list", staff),
        NavItem(_("Meeting tasks"), "meetings:tasks", staff),
    ]),
    (_("Administration"), [
        NavItem(_("Organisation"), "org:tree", staff),
        NavItem(_("Staff accounts"), "org:users", can_manage_org),
        NavItem(_("Routing rules"), "cases:rules", can_manage_org),
        NavItem(_("Smart intake"), "triage:index", may_view_triage),
        NavItem(_("Calendar"), "workdays:year", staff),
        NavItem(_("Audit log"), "audit:events", can_view_audit),
        NavItem(_("Webhooks"), "notices:webhooks", can_manage_org),
        NavItem(_("Failed tasks"), "jobs:failed", can_manage_jobs),
    ]),
]  # fmt: skip


def nav_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    """The groups of entries this user may use, each entry once; the entry whose URL is the
    longest prefix of the current path is current, and so is its group."""
    groups = []
    for label, entries in GROUPS:
        items = [
            {"label": item.label, "url": reverse(item.url_name), "active": False}
            for item in entries
            if item.visible(user)
        ]
        if items:
            groups.append({"label": label, "items": items, "active": False})
    every = [(group, item) for group in groups for item in group["items"]]
    matches = [(g, i) for g, i in every if current_path == i["url"] or
               (i["url"] != "/" and current_path.startswith(i["url"]))]  # fmt: skip
    if matches:
        group, item = max(matches, key=lambda pair: len(pair[1]["url"]))
        item["active"] = group["active"] = True
    return groups
