"""The mediation panel on the case page: ``{% load mediation_tags %}{% mediation_panel %}``.

Shown when the case has a mediation or a committee holds it. It always says that mediation
is voluntary and what the parties may do instead, so the case page is never a dead end.
"""

from typing import Any

from django import template

from yimen.cases import workflow

from .. import services
from ..forms import ConcludeForm
from ..models import AgreementStatus, Outcome

register = template.Library()


@register.inclusion_tag("mediation/_case_panel.html", takes_context=True)
def mediation_panel(context: template.Context) -> dict[str, Any]:
    case = context["case"]
    request = context["request"]
    user = request.user
    mediation = services.mediation_of(case)
    with_committee = services.with_committee(case)
    if mediation is None and not (with_committee and case.status in workflow.OPEN):
        return {"show": False}
    panel: dict[str, Any] = {
        "show": True,
        "case": case,
        "mediation": mediation,
        "can_open": mediation is None and services.can_open_mediation(user, case),
        "right_to_sue": services.RIGHT_TO_SUE,
        "request": request,
    }
    if mediation is None:
        return panel
    stop_reason = services.stop_reason(mediation) if mediation.is_open else ""
    may_conclude = (
        stop_reason and services.may_mediate(user, mediation) and case.status in workflow.HANDLING
    )
    latest = services.consent_state(mediation)
    panel.update(
        {
            "consents": [{"party": p, "consent": latest.get(p.pk)} for p in case.parties.all()],
            "sessions_held": mediation.sessions.filter(recorded_at__isnull=False).count(),
            "next_session": mediation.sessions.filter(recorded_at__isnull=True).first(),
            "signed": mediation.agreements.filter(status=AgreementStatus.SIGNED),
            "stop_reason": stop_reason,
            "conclude_form": ConcludeForm(case=case, mediation=mediation) if may_conclude else None,
            "ended_without_agreement": mediation.outcome
            in (Outcome.FAILED, Outcome.REFUSED, Outcome.WITHDRAWN, Outcome.PARTIAL),
        }
    )
    return panel
