"""The lifecycle actions of ``workflow.TRANSITIONS``, one API call each.

Each turns a request body into the workflow call the case page makes: ids become objects
looked up inside the caller's scope, and the workflow function does the rest. The role and
state are checked before the body is looked at, so a caller who may not act is told that,
not that a field is missing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from yimen.cases import workflow as wf
from yimen.cases.filters import visible_units
from yimen.cases.models import Case, ExtensionStatus
from yimen.org.models import Role, User
from yimen.org.scoping import path_and_ancestors

from . import schemas


def _invalid(field: str, message: str) -> wf.Invalid:
    return wf.Invalid(message, fields={field: message})


def _units(user: Any, ids: list[int], field: str) -> list[Any]:
    """Units by id, among those the caller's cases can go to; any other id is refused."""
    found = {u.pk: u for u in visible_units(user).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        message = _("No unit with the id %(id)s that you can assign to.") % {"id": missing[0]}
        raise _invalid(field, message)
    return [found[pk] for pk in ids]


def _leader(case: Case, pk: int) -> User:
    """A responsible leader placed above the case or in its subtree."""
    path = case.jurisdiction.path
    prefixes = path_and_ancestors(path)
    leader = (
        User.objects.filter(pk=pk, role=Role.LEADER, is_active=True)
        .filter(Q(jurisdiction__path__in=prefixes) | Q(jurisdiction__path__startswith=path))
        .first()
    )
    if leader is None:
        raise _invalid("leader", _("No leader with this id for this case."))
    return leader


def route(case: Case, user: Any, body: schemas.RouteIn) -> None:
    if body.unit is None:
        raise _invalid("unit", _("Choose the lead unit."))
    [unit] = _units(user, [body.unit], "unit")
    wf.route_case(
        case,
        actor=user,
        unit=unit,
        complexity=body.complexity,
        co_units=_units(user, body.co_units, "co_units"),
        leader=_leader(case, body.leader) if body.leader is not None else None,
        override_reason=body.override_reason,
        instructions=body.instructions,
    )


def request_extension(case: Case, user: Any, body: schemas.RequestExtensionIn) -> None:
    if body.new_deadline is None:
        raise _invalid("new_deadline", _("Give the new deadline."))
    wf.request_extension(case, actor=user, reason=body.reason, new_deadline=body.new_deadline)


def decide_extension(case: Case, user: Any, body: schemas.DecideExtensionIn) -> None:
    if body.approve is None:
        raise _invalid("approve", _("Say whether the extension is approved."))
    requests = case.extensions.all()
    if body.request is None:
        request = requests.filter(status=ExtensionStatus.PENDING).first()
    else:
        request = requests.filter(pk=body.request).first()
    if request is None:
        raise _invalid("request", _("No such extension request for this case."))
    wf.decide_extension(request, actor=user, approve=body.approve, note=body.note)


@dataclass(frozen=True)
class Action:
    body: type[schemas.Body]
    perform: Callable[[Case, Any, Any], Any]


ACTIONS: dict[str, Action] = {
    "route": Action(schemas.RouteIn, route),
    "accept": Action(schemas.NoBody, lambda c, u, b: wf.accept_case(c, actor=u)),
    "return": Action(schemas.ReasonIn, lambda c, u, b: wf.return_case(c, actor=u, reason=b.reason)),
    "record_action": Action(
        schemas.RecordActionIn,
        lambda c, u, b: wf.record_action(c, actor=u, kind=b.kind, note=b.note, public=b.public),
    ),
    "request_extension": Action(schemas.RequestExtensionIn, request_extension),
    "decide_extension": Action(schemas.DecideExtensionIn, decide_extension),
    "submit_result": Action(
        schemas.SubmitResultIn, lambda c, u, b: wf.submit_result(c, actor=u, result=b.result)
    ),
    "escalate": Action(
        schemas.ReasonIn, lambda c, u, b: wf.escalate_case(c, actor=u, reason=b.reason)
    ),
    "transfer_out": Action(
        schemas.TransferOutIn,
        lambda c, u, b: wf.transfer_out(
            c, actor=u, to_body=b.to_body, note_for_resident=b.note_for_resident
        ),
    ),
    "close": Action(schemas.CloseIn, lambda c, u, b: wf.close_case(c, actor=u, note=b.note)),
    "follow_up": Action(
        schemas.FollowUpIn,
        lambda c, u, b: wf.follow_up(
            c,
            actor=u,
            satisfaction=b.satisfaction,
            comment=b.comment,
            reopen=b.reopen,
            close_reason=b.close_reason,
        ),
    ),
    "reopen": Action(schemas.ReasonIn, lambda c, u, b: wf.reopen_case(c, actor=u, reason=b.reason)),
}


def perform(name: str, case: Case, user: Any, body: Any) -> None:
    """Refuse a wrong role (403) or state (409) first, then let the workflow act."""
    wf.check_action(name, case, user)
    ACTIONS[name].perform(case, user, body)
