"""The case page's "Supervision" section: its alerts, reminder slips and named supervision.

An inclusion tag, so the case page needs one line and the cases app knows nothing of
supervision; what it shows goes through the same scoping as the supervision pages.
"""

from typing import Any

from django import template

from yimen.cases.workflow import OPEN

from .. import services
from ..models import ReminderStatus
from ..queries import visible_slips

register = template.Library()


@register.inclusion_tag("supervision/_case_section.html", takes_context=True)
def supervision_section(context: dict[str, Any], case: Any) -> dict[str, Any]:
    user = context["request"].user
    is_open = case.status in OPEN
    listings = list(case.supervisions.select_related("responsible_unit", "responsible_leader"))
    listed = any(item.is_open for item in listings)
    return {
        "case": case,
        "alerts": list(case.deadline_alerts.order_by("-created_at", "-pk")[:5]),
        "slips": list(visible_slips(user).filter(case=case)),
        "listings": listings,
        "replied": ReminderStatus.REPLIED,
        "may_remind": is_open and services.may_issue_reminder(user, case),
        "may_list": is_open and not listed and services.may_supervise(user, case),
    }
