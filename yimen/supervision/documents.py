"""The reminder slip (催办单) as PDF, in the assignment slip's font and layout (``yimen.pdf``)."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from reportlab.platypus.flowables import KeepTogether

from yimen.cases.presentation import with_time_left
from yimen.pdf import SUB, TITLE, build, date_text, facts_table, paragraph, signature_table

from .models import ReminderSlip, ReminderStatus


def _when(value) -> str:
    return date_text(timezone.localtime(value)) if value else ""


def reminder_slip_pdf(slip: ReminderSlip) -> bytes:
    """The slip as the unit receives it; an unsigned draft says so in its heading."""
    case = slip.case
    center_unit = slip.approved_by.unit if slip.approved_by else slip.issued_by.unit
    center = center_unit.name if center_unit else str(settings.YIMEN_CENTER_NAME)
    left = with_time_left([case], timezone.localdate(slip.issued_at))[0].time_left
    deadline = date_text(case.deadline) or "—"
    if left.overdue:
        deadline += " " + _("(overdue when the slip was issued)")
    rows = [
        (_("Receipt number"), case.receipt_number),
        (_("Title"), case.title),
        (_("Place"), f"{case.jurisdiction.name} {case.address}".strip()),
        (_("Lead unit"), slip.unit.name),
        (_("Deadline"), deadline),
        (_("Reminder"), slip.text),
        (_("Reply by"), date_text(slip.reply_by)),
    ]
    if slip.status == ReminderStatus.REPLIED:
        rows.append((_("Reply"), f"{slip.reply}\n— {slip.replied_by} {_when(slip.replied_at)}"))
    signed = (
        _("Signed (center director): %(name)s") % {"name": slip.approved_by}
        if slip.approved_by
        else _("Signed (center director): ____________")
    )
    signature = signature_table(
        [
            (_("Issued by (supervisor): %(name)s") % {"name": slip.issued_by},
             _("Date: %(date)s") % {"date": _when(slip.issued_at)}),
            (signed, _("Date: %(date)s") % {"date": _when(slip.approved_at) or "________"}),
        ]
    )  # fmt: skip
    title = _("Reminder slip")
    if slip.status == ReminderStatus.DRAFT:
        title = _("Reminder slip (draft, not yet signed)")
    return build(
        [
            paragraph(center, SUB),
            paragraph(title, TITLE),
            paragraph(_("No. %(number)s") % {"number": slip.number}, SUB),
            Spacer(1, 6 * mm),
            facts_table(rows),
            Spacer(1, 10 * mm),
            KeepTogether([signature]),
        ],
        title=f"{_('Reminder slip')} {slip.number}",
        author=center,
    )
