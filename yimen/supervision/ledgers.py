"""The supervision registers: reminder slips (催办登记簿) and named supervision (挂牌督办登记簿).

Two registers, as the paper ones are two books: a reminder slip is a letter to a unit with
a reply date, a named supervision a listing with a responsible unit, leader and deadline.
Rows come from ``visible_slips`` and ``visible_supervisions``, which start from
``Case.objects.for_user`` and keep unsigned slips inside the center.
"""

from typing import Any

from django import forms
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from yimen.cases.ledgers import UnitFilterForm, case_link
from yimen.cases.models import Status
from yimen.ledgers.registry import (
    Column,
    Kind,
    Ledger,
    choice_label,
    local_date,
    narrowed,
    register,
)
from yimen.org.models import Role
from yimen.org.permissions import has_role
from yimen.periods import Period

from .models import NamedSupervision, ReminderSlip, ReminderStatus
from .queries import visible_slips, visible_supervisions

SUPERVISION_REGISTER_READERS = (Role.SUPERVISOR, Role.DIRECTOR, Role.LEADER, Role.ADMIN)
OPEN, CLOSED = "open", "closed"


def can_read_supervision_registers(user: Any) -> bool:
    """The supervisor keeps these registers; the director, leaders and administrators read them."""
    return has_role(user, *SUPERVISION_REGISTER_READERS) and bool(user.visible_path)


def _name(person: Any) -> Any:
    return person if person is not None else ""


# --- reminder register (催办登记簿) -------------------------------------------------------


class ReminderFilterForm(UnitFilterForm):
    unit_label = _("Sent to")
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all statuses")), *ReminderStatus.choices],
    )
    field_order = ["status", "unit"]


def reminder_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet[ReminderSlip]:
    """Every reminder slip issued in the period, in the order of issue."""
    rows = visible_slips(user).filter(period.contains("issued_at"))
    rows = narrowed(rows, filters, status="status", unit="unit")
    return rows.order_by("issued_at", "pk")


REMINDER_REGISTER = register(
    Ledger(
        code="reminders",
        title=_("Reminder register (催办登记簿)"),
        description=_(
            "Every reminder slip the supervisor issued: on which matter, to which unit, what "
            "it asked and by when, who signed it, and the unit's reply."
        ),
        period_means=_("The period selects on the day the slip was issued."),
        columns=(
            Column(_("Slip number"), lambda s: s.number, width=16),
            Column(_("Issued on"), lambda s: local_date(s.issued_at), Kind.DATE, 12),
            Column(_("Receipt number"), lambda s: s.case.receipt_number, width=16),
            Column(_("Title"), lambda s: s.case.title, Kind.LONG, 18),
            Column(_("Sent to"), lambda s: s.unit.name, width=14),
            Column(_("Issued by"), lambda s: s.issued_by, width=9),
            Column(_("Reminder"), lambda s: s.text, Kind.LONG, 24),
            Column(_("Reply by"), lambda s: s.reply_by, Kind.DATE, 12),
            Column(_("Status"), lambda s: choice_label(ReminderStatus, s.status), width=10),
            Column(_("Signed by"), lambda s: _name(s.approved_by), width=9),
            Column(_("Signed on"), lambda s: local_date(s.approved_at), Kind.DATE, 12),
            Column(_("Reply"), lambda s: s.reply, Kind.LONG, 24),
            Column(_("Replied on"), lambda s: local_date(s.replied_at), Kind.DATE, 12),
        ),
        rows=reminder_rows,
        allowed=can_read_supervision_registers,
        filter_form=ReminderFilterForm,
        link=lambda s: case_link(s.case_id),
        position=40,
    )
)


# --- named supervision register (挂牌督办登记簿) ------------------------------------------


class SupervisionFilterForm(UnitFilterForm):
    unit_label = _("Responsible unit")
    state = forms.ChoiceField(
        label=_("Listing"),
        required=False,
        choices=[("", _("Any")), (OPEN, _("Still listed")), (CLOSED, _("Closed"))],
    )
    field_order = ["state", "unit"]


def supervision_rows(
    user: Any, period: Period, filters: dict[str, Any]
) -> QuerySet[NamedSupervision]:
    """Every matter listed for named supervision in the period, in the order it was listed."""
    rows = visible_supervisions(user).filter(period.contains("listed_at"))
    rows = narrowed(rows, filters, unit="responsible_unit")
    if filters.get("state"):
        rows = rows.filter(closed_at__isnull=filters["state"] == OPEN)
    rows = rows.defer("case__jurisdiction__polygon").annotate(report_count=Count("reports"))
    return rows.order_by("listed_at", "pk")


NAMED_SUPERVISION_REGISTER = register(
    Ledger(
        code="named_supervision",
        title=_("Named supervision register (挂牌督办登记簿)"),
        description=_(
            "Every complex matter listed for named supervision: why, the responsible unit and "
            "leader, the deadline, the progress reports received, and when and how the "
            "listing was closed."
        ),
        period_means=_("The period selects on the day the matter was listed."),
        columns=(
            Column(_("Receipt number"), lambda n: n.case.receipt_number, width=16),
            Column(_("Listed on"), lambda n: local_date(n.listed_at), Kind.DATE, 12),
            Column(_("Title"), lambda n: n.case.title, Kind.LONG, 18),
            Column(_("Category"), lambda n: n.case.category.name, width=10),
            Column(_("Why it is listed"), lambda n: n.reason, Kind.LONG, 24),
            Column(_("Responsible unit"), lambda n: n.responsible_unit.name, width=14),
            Column(_("Responsible leader"), lambda n: n.responsible_leader, width=9),
            Column(_("Deadline"), lambda n: n.deadline, Kind.DATE, 12),
            Column(_("Listed by"), lambda n: n.listed_by, width=9),
            Column(_("Progress reports"), lambda n: n.report_count, Kind.NUMBER, 6),
            Column(_("Status now"), lambda n: choice_label(Status, n.case.status), width=8),
            Column(_("Closed on"), lambda n: local_date(n.closed_at), Kind.DATE, 12),
            Column(_("Closing note"), lambda n: n.close_note, Kind.LONG, 18),
        ),
        rows=supervision_rows,
        allowed=can_read_supervision_registers,
        filter_form=SupervisionFilterForm,
        link=lambda n: case_link(n.case_id),
        position=45,
    )
)
