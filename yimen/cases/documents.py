"""Printable documents of a case as PDF: the assignment slip (交办单).

ReportLab's built-in Adobe CID font STSong-Light (宋体) sets the Chinese text, so nothing
is downloaded or bundled; every PDF reader with CJK support has the glyphs.
"""

from io import BytesIO

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

from .models import AssignmentSlip, Complexity
from .privacy import mask_phone

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=20, leading=28, alignment=TA_CENTER)
_SUB = ParagraphStyle("sub", parent=_BODY, fontSize=12, alignment=TA_CENTER)
_LABEL = ParagraphStyle("label", parent=_BODY, alignment=TA_CENTER)


def _p(text: object, style: ParagraphStyle = _BODY) -> Paragraph:
    """A paragraph of user text: escaped, line breaks kept."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


def _date(value) -> str:
    return formats.date_format(value, "Y-m-d") if value else ""


def assignment_slip_pdf(slip: AssignmentSlip) -> bytes:
    """The slip as the unit receives it: what, where, who, by when, and the director's word."""
    case = slip.case
    issuer_unit = slip.issued_by.unit
    center = issuer_unit.name if issuer_unit else str(settings.YIMEN_CENTER_NAME)
    parties = "；".join(
        f"{p.name}（{p.get_role_display()}）{mask_phone(p.phone)}" for p in case.parties.all()
    )
    deadline = _date(slip.deadline)
    if slip.deadline_provisional:
        deadline += " " + _("(provisional: next year's holidays not yet published)")
    rows = [
        (_("Receipt number"), case.receipt_number),
        (_("Title"), case.title),
        (_("Category"), case.category.name),
        (_("Place"), f"{case.jurisdiction.name} {case.address}".strip()),
        (
            _("Received"),
            f"{_date(timezone.localtime(case.received_at))} {case.get_channel_display()}",
        ),
        (_("Parties"), parties or "—"),
        (_("Account of the matter"), case.description),
        (_("Lead unit"), slip.lead_unit.name),
        (_("Co-handling units"), "、".join(slip.co_unit_names) or "—"),
        (_("Complexity"), Complexity(slip.complexity).label),
        (_("Deadline"), deadline),
        (_("Instructions"), slip.instructions or "—"),
    ]
    table = Table(
        [[_p(label, _LABEL), _p(value)] for label, value in rows],
        colWidths=[32 * mm, 138 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    signature = Table(
        [
            [_p(_("Issued by (center director): %(name)s") % {"name": slip.issued_by}),
             _p(_("Date: %(date)s") % {"date": _date(timezone.localtime(slip.issued_at))})],
            [_p(_("Received by (handling unit): ____________")),
             _p(_("Date: ____________"))],
        ],
        colWidths=[100 * mm, 70 * mm],
    )  # fmt: skip
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{_('Assignment slip')} {slip.number}",
        author=center,
    )
    document.build(
        [
            _p(center, _SUB),
            _p(_("Assignment slip"), _TITLE),
            _p(_("No. %(number)s") % {"number": slip.number}, _SUB),
            Spacer(1, 6 * mm),
            table,
            Spacer(1, 10 * mm),
            KeepTogether([signature]),
        ]
    )
    return buffer.getvalue()
