"""The dispute register (纠纷登记簿): one line per dispute the committees took in.

The columns follow the paper register the judicial office issues: when and how the
dispute came, the parties (names and roles only), its type and a short account, who
mediated and how often, the outcome with the agreement and the amount involved, the
follow-up visit and, when mediation did not settle it, where the parties went next.
"""

from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Channel, Party, PartyRole
from yimen.ledgers.registry import Column, Kind, Ledger, choice_label, local_date, register
from yimen.periods import Period

from .models import (
    AgreementDocument,
    AgreementStatus,
    FollowUpVisit,
    Mediation,
    NextPath,
    Outcome,
    Performed,
)
from .permissions import can_read_mediation_reports
from .services import committees_for

IN_PROGRESS = "open"


class DisputeFilterForm(forms.Form):
    committee = forms.ModelChoiceField(
        label=_("Committee"), queryset=None, required=False, empty_label=_("All committees")
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees_for(user)
        self.fields["outcome"].choices = [
            ("", _("Any")),
            (IN_PROGRESS, _("Still in mediation")),
            *Outcome.choices,
        ]


def dispute_rows(user: Any, period: Period, filters: dict[str, Any]) -> QuerySet[Mediation]:
    """Mediations opened in the period, in the order they were registered."""
    rows = Mediation.objects.for_user(user).filter(period.contains("opened_at"))
    if filters.get("committee"):
        rows = rows.filter(committee=filters["committee"])
    outcome = filters.get("outcome")
    if outcome:
        rows = rows.filter(outcome="" if outcome == IN_PROGRESS else outcome)
    return (
        rows.select_related("case", "case__category", "committee")
        .prefetch_related(
            "mediators",
            Prefetch("case__parties", queryset=Party.objects.order_by("id"), to_attr="party_list"),
            Prefetch(
                "agreements",
                queryset=AgreementDocument.objects.filter(status=AgreementStatus.SIGNED),
                to_attr="signed_agreements",
            ),
            Prefetch(
                "follow_up_visits",
                queryset=FollowUpVisit.objects.order_by("due_on", "id"),
                to_attr="visits",
            ),
            "sessions",
        )
        .order_by("opened_at", "pk")
    )


def _parties(mediation: Mediation) -> str:
    return "；".join(
        f"{choice_label(PartyRole, p.role)} {p.name}" for p in mediation.case.party_list
    )


def _sessions_held(mediation: Mediation) -> int:
    return sum(1 for session in mediation.sessions.all() if session.is_held)


def _outcome(mediation: Mediation) -> str:
    if mediation.outcome:
        return choice_label(Outcome, mediation.outcome)
    return str(_("Still in mediation"))


def _amount(mediation: Mediation) -> Any:
    amounts = [a.amount for a in mediation.signed_agreements if a.amount is not None]
    return sum(amounts) if amounts else None


def _follow_up(mediation: Mediation) -> str:
    if not mediation.visits:
        return ""
    visit = mediation.visits[-1]
    if visit.done_at is None:
        return str(_("Visit due %(day)s")) % {"day": visit.due_on.isoformat()}
    settled = _("settled") if visit.settled else _("not settled")
    return f"{choice_label(Performed, visit.performed)}，{settled}"


def _next_path(mediation: Mediation) -> str:
    label = choice_label(NextPath, mediation.next_path) if mediation.next_path else ""
    return " ".join(part for part in (label, mediation.next_body) if part)


DISPUTE_REGISTER = register(
    Ledger(
        code="disputes",
        title=_("Dispute register (纠纷登记簿)"),
        description=_(
            "Every dispute the people's mediation committees took in: parties, type, "
            "mediators, outcome, agreement, amount involved and follow-up visit."
        ),
        period_means=_("The period selects on the day mediation was opened."),
        columns=(
            Column(_("Mediation number"), lambda m: m.number, width=16),
            Column(_("Registered on"), lambda m: local_date(m.opened_at), Kind.DATE, 13),
            Column(_("Receipt number"), lambda m: m.case.receipt_number, width=16),
            Column(_("Parties"), _parties, width=18),
            Column(_("Type of dispute"), lambda m: m.case.category.name, width=9),
            Column(_("The dispute in brief"), lambda m: m.case.title, Kind.LONG, 20),
            Column(_("Came by"), lambda m: choice_label(Channel, m.case.channel), width=7),
            Column(_("Committee"), lambda m: m.committee.name, width=13),
            Column(
                _("Mediators"), lambda m: "、".join(x.name for x in m.mediators.all()), width=12
            ),
            Column(_("Sessions held"), _sessions_held, Kind.NUMBER, 5),
            Column(_("Outcome"), _outcome, width=9),
            Column(
                _("Agreement"),
                lambda m: "、".join(a.number for a in m.signed_agreements),
                width=16,
            ),
            Column(_("Amount involved (yuan)"), _amount, Kind.MONEY, 10),
            Column(_("Ended on"), lambda m: local_date(m.concluded_at), Kind.DATE, 13),
            Column(_("Follow-up visit"), _follow_up, width=13),
            Column(_("Path taken"), _next_path, width=12),
        ),
        rows=dispute_rows,
        allowed=can_read_mediation_reports,
        filter_form=DisputeFilterForm,
        link=lambda m: reverse("mediation:case", args=[m.case_id]),
        position=20,
    )
)
