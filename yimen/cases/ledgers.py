"""The case lifecycle's registers: intake (来访来电登记簿), assignment (交办登记簿) and
follow-up (回访登记簿).

Each follows the paper register a township center keeps, one line per matter, slip or
follow-up of the period. Rows start from ``Case.objects.for_user``, the one rule of case
visibility, so a register shows and counts only what its reader may see. Parties appear
by name and role only: registers are printed and filed, so phone and ID numbers are not
even read from the database here.
"""

from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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

from .filters import visible_units
from .models import (
    AssignmentSlip,
    Case,
    Category,
    Channel,
    Complexity,
    FollowUp,
    Party,
    PartyRole,
    Satisfaction,
    Status,
)

CASE_REGISTER_READERS = (Role.DESK, Role.DIRECTOR, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
ONLINE = _("Resident, online")


def can_read_case_registers(user: Any) -> bool:
    """The front desk keeps these registers; the center's leadership and administrators
    read them."""
    return has_role(user, *CASE_REGISTER_READERS) and bool(user.visible_path)


def case_link(case_id: int) -> str:
    return reverse("cases:detail", args=[case_id])


class UnitFilterForm(forms.Form):
    """A register's filters, with a unit chosen among the reader's own.

    The choices are the units the reader's cases can be handled by, so naming another
    community's unit is a form error (the page answers 400), never an empty answer that
    would confirm the unit exists.
    """

    unit_label: Any = _("Lead unit")
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=None, required=False, empty_label=_("all units")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        field.label = self.unit_label
        field.queryset = visible_units(user)
        field.label_from_instance = lambda unit: f"{unit.name} ({unit.jurisdiction.name})"


class IntakeFilterForm(UnitFilterForm):
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("all channels")), *Channel.choices]
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("all categories"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all statuses")), *Status.choices]
    )
    field_order = ["channel", "category", "status", "unit"]


class FollowUpFilterForm(UnitFilterForm):
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), required=False, choices=[("", _("Any")), *Satisfaction.choices]
    )
    field_order = ["satisfaction", "unit"]


def _names_and_roles() -> Prefetch:
    """Parties as a printed register may show them: the phone and ID columns stay unread.

    They land in a plain list (``listed_parties``): ``case.parties.all()`` would clone a
    queryset for every row, a tenth of a long export's time.
    """
    parties = Party.objects.only("id", "case_id", "name", "role").order_by("id")
    return Prefetch("parties", queryset=parties, to_attr="listed_parties")


def _in_cases_of(user: Any) -> dict[str, Any]:
    """The lookup that keeps slips and follow-ups to the cases the user may see."""
    return {"case__in": Case.objects.for_user(user).values("pk")}


# --- intake register (来访来电登记簿) -----------------------------------------------------


# What the intake register's columns read, and no more: a month of a busy street is a
# hundred thousand rows, and the other fields (a place's boundary is kilobytes of JSON, a
# staff account a dozen columns) would be read and parsed for every one. A column reading
# a field not named here costs a query per row, which the query-count test catches.
INTAKE_FIELDS = (
    "receipt_number", "received_at", "channel", "title", "description", "address", "status",
    "deadline", "closed_at", "category__name", "jurisdiction__name", "received_by__username",
    "received_by__display_name", "lead_unit__name",
)  # fmt: skip


def intake_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet[Case]:
    """Every matter received in the period, in the order it was received."""
    rows = Case.objects.for_user(user).filter(period.contains("received_at"))
    rows = narrowed(
        rows, filters, channel="channel", category="category", status="status", unit="lead_unit"
    )
    return (
        rows.select_related("category", "jurisdiction", "received_by", "lead_unit")
        .only(*INTAKE_FIELDS)
        .prefetch_related(_names_and_roles())
        .order_by("received_at", "pk")
    )


def parties(case: Case) -> str:
    return "；".join(f"{choice_label(PartyRole, p.role)} {p.name}" for p in case.listed_parties)


def _place(case: Case) -> str:
    return " ".join(part for part in (case.jurisdiction.name, case.address) if part)


def _received_by(case: Case) -> Any:
    return case.received_by if case.received_by_id else ONLINE


def _unit_name(unit: Any) -> str:
    return unit.name if unit is not None else ""


INTAKE_REGISTER = register(
    Ledger(
        code="intake",
        title=_("Intake register (来访来电登记簿)"),
        description=_(
            "Every matter received, by visit, letter, call, online, grid report, transfer or "
            "screening: what it is about, where, whose it is, who received it, and where it "
            "stands now. Parties are listed by name and role only."
        ),
        period_means=_("The period selects on the time the matter was received."),
        columns=(
            Column(_("Receipt number"), lambda c: c.receipt_number, width=16),
            Column(_("Received at"), lambda c: c.received_at, Kind.DATETIME, 16),
            Column(_("Channel"), lambda c: choice_label(Channel, c.channel), width=8),
            Column(_("Category"), lambda c: c.category.name, width=10),
            Column(_("Title"), lambda c: c.title, Kind.LONG, 18),
            Column(_("Account of the matter"), lambda c: c.description, Kind.LONG, 30),
            Column(_("Place"), _place, width=16),
            Column(_("Parties"), parties, width=18),
            Column(_("Received by"), _received_by, width=9),
            Column(_("Lead unit"), lambda c: _unit_name(c.lead_unit), width=14),
            Column(_("Status"), lambda c: choice_label(Status, c.status), width=8),
            Column(_("Deadline"), lambda c: c.deadline, Kind.DATE, 12),
            Column(_("Closed on"), lambda c: local_date(c.closed_at), Kind.DATE, 12),
        ),
        rows=intake_rows,
        allowed=can_read_case_registers,
        filter_form=IntakeFilterForm,
        link=lambda c: case_link(c.pk),
        position=10,
    )
)


# --- assignment register (交办登记簿) -----------------------------------------------------


def assignment_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet:
    """Every assignment slip issued in the period, in the order of issue."""
    rows = AssignmentSlip.objects.filter(period.contains("issued_at"), **_in_cases_of(user))
    rows = narrowed(rows, filters, unit="lead_unit")
    return rows.select_related(
        "case__category", "lead_unit", "issued_by", "suggested_unit"
    ).order_by("issued_at", "pk")


def _overridden(slip: AssignmentSlip) -> str:
    """The routing rule's unit, shown only where the director chose another."""
    if slip.suggested_unit_id is None or slip.suggested_unit_id == slip.lead_unit_id:
        return ""
    return slip.suggested_unit.name


ASSIGNMENT_REGISTER = register(
    Ledger(
        code="assignments",
        title=_("Assignment register (交办登记簿)"),
        description=_(
            "Every assignment slip the director issued: to which lead and co-handling units, "
            "how complex, due when; where the routing rule suggested another unit, that unit "
            "and the reason for the choice; and where the matter stands now."
        ),
        period_means=_("The period selects on the day the slip was issued."),
        columns=(
            Column(_("Slip number"), lambda s: s.number, width=16),
            Column(_("Issued on"), lambda s: local_date(s.issued_at), Kind.DATE, 12),
            Column(_("Receipt number"), lambda s: s.case.receipt_number, width=16),
            Column(_("Title"), lambda s: s.case.title, Kind.LONG, 18),
            Column(_("Category"), lambda s: s.case.category.name, width=10),
            Column(_("Lead unit"), lambda s: s.lead_unit.name, width=14),
            Column(_("Co-handling units"), lambda s: "、".join(s.co_unit_names), width=14),
            Column(_("Complexity"), lambda s: choice_label(Complexity, s.complexity), width=12),
            Column(_("Deadline"), lambda s: s.deadline, Kind.DATE, 12),
            Column(_("Issued by"), lambda s: s.issued_by, width=9),
            Column(_("Suggested unit (overridden)"), _overridden, width=14),
            Column(_("Reason for another unit"), lambda s: s.override_reason, Kind.LONG, 18),
            Column(_("Status now"), lambda s: choice_label(Status, s.case.status), width=8),
            Column(_("Resolved on"), lambda s: local_date(s.case.resolved_at), Kind.DATE, 12),
        ),
        rows=assignment_rows,
        allowed=can_read_case_registers,
        filter_form=UnitFilterForm,
        link=lambda s: case_link(s.case_id),
        position=30,
    )
)


# --- follow-up register (回访登记簿) ------------------------------------------------------


def follow_up_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet[FollowUp]:
    """Every follow-up recorded in the period, by staff or by the resident online."""
    rows = FollowUp.objects.filter(period.contains("at"), **_in_cases_of(user))
    rows = narrowed(rows, filters, satisfaction="satisfaction", unit="case__lead_unit")
    return rows.select_related("case__category", "case__lead_unit", "by").order_by("at", "pk")


def _followed_up_by(item: FollowUp) -> Any:
    return ONLINE if item.by_resident else item.by


FOLLOW_UP_REGISTER = register(
    Ledger(
        code="follow_ups",
        title=_("Follow-up register (回访登记簿)"),
        description=_(
            "Every satisfaction follow-up of a closed matter: who asked, how satisfied the "
            "resident was and what they said, and whether the matter was reopened or kept "
            "closed, and why."
        ),
        period_means=_("The period selects on the day of the follow-up."),
        columns=(
            Column(_("Followed up on"), lambda f: local_date(f.at), Kind.DATE, 12),
            Column(_("Receipt number"), lambda f: f.case.receipt_number, width=16),
            Column(_("Title"), lambda f: f.case.title, Kind.LONG, 18),
            Column(_("Category"), lambda f: f.case.category.name, width=10),
            Column(_("Lead unit"), lambda f: _unit_name(f.case.lead_unit), width=14),
            Column(_("Followed up by"), _followed_up_by, width=10),
            Column(
                _("Satisfaction"), lambda f: choice_label(Satisfaction, f.satisfaction), width=10
            ),
            Column(_("Resident's comment"), lambda f: f.comment, Kind.LONG, 24),
            Column(_("Reopened"), lambda f: _("Yes") if f.reopened else _("No"), width=6),
            Column(_("Reason for keeping it closed"), lambda f: f.close_reason, Kind.LONG, 18),
        ),
        rows=follow_up_rows,
        allowed=can_read_case_registers,
        filter_form=FollowUpFilterForm,
        link=lambda f: case_link(f.case_id),
        position=50,
    )
)
