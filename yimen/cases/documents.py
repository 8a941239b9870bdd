"""Printable documents of a case as PDF: the assignment slip (交办单).

The font, styles and page come from ``yimen.pdf``, shared with the reminder slip (催办单).
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from reportlab.platypus.flowables import KeepTogether

from yimen.pdf import SUB, TITLE, build, date_text, facts_table, paragraph, signature_table

from .models import AssignmentSlip, Complexity
from .privacy import mask_phone


def assignment_slip_pdf(slip: AssignmentSlip) -> bytes:
    """The slip as the unit receives it: what, where, who, by when, and the director's word."""
    case = slip.case
    issuer_unit = slip.issued_by.unit
    center = issuer_unit.name if issuer_unit else str(settings.YIMEN_CENTER_NAME)
    parties = "；".join(
        f"{p.name}（{p.get_role_display()}）{mask_phone(p.phone)}" for p in case.parties.all()
    )
    deadline = date_text(slip.deadline)
    if slip.deadline_provisional:
        deadline += " " + _("(provisional: next year's holidays not yet published)")
    rows = [
        (_("Receipt number"), case.receipt_number),
        (_("Title"), case.title),
        (_("Category"), case.category.name),
        (_("Place"), f"{case.jurisdiction.name} {case.address}".strip()),
        (
            _("Received"),
            f"{date_text(timezone.localtime(case.received_at))} {case.get_channel_display()}",
        ),
        (_("Parties"), parties or "—"),
        (_("Account of the matter"), case.description),
        (_("Lead unit"), slip.lead_unit.name),
        (_("Co-handling units"), "、".join(slip.co_unit_names) or "—"),
        (_("Complexity"), Complexity(slip.complexity).label),
        (_("Deadline"), deadline),
        (_("Instructions"), slip.instructions or "—"),
    ]
    signature = signature_table(
        [
            (_("Issued by (center director): %(name)s") % {"name": slip.issued_by},
             _("Date: %(date)s") % {"date": date_text(timezone.localtime(slip.issued_at))}),
            (_("Received by (handling unit): ____________"), _("Date: ____________")),
        ]
    )  # fmt: skip
    return build(
        [
            paragraph(center, SUB),
            paragraph(_("Assignment slip"), TITLE),
            paragraph(_("No. %(number)s") % {"number": slip.number}, SUB),
            Spacer(1, 6 * mm),
            facts_table(rows),
            Spacer(1, 10 * mm),
            KeepTogether([signature]),
        ],
        title=f"{_('Assignment slip')} {slip.number}",
        author=center,
    )
