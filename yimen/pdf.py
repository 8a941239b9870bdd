"""What every printable slip shares: the Chinese font, paragraph styles, tables, the page.

ReportLab's built-in Adobe CID font STSong-Light (宋体) sets the Chinese text, so nothing
is downloaded or bundled; every PDF reader with CJK support has the glyphs. The assignment
slip (交办单) and the reminder slip (催办单) are both built from these pieces, so they look
like two forms of one office.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from io import BytesIO
from typing import Any

from django.utils import formats
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
TITLE = ParagraphStyle("title", parent=BODY, fontSize=20, leading=28, alignment=TA_CENTER)
SUB = ParagraphStyle("sub", parent=BODY, fontSize=12, alignment=TA_CENTER)
LABEL = ParagraphStyle("label", parent=BODY, alignment=TA_CENTER)

# A form's label | value grid: ruled, labels on grey.
FACTS_STYLE = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
)


def paragraph(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of user text: escaped (ReportLab reads markup), line breaks kept."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


def date_text(value: date | None) -> str:
    return formats.date_format(value, "Y-m-d") if value else ""


def facts_table(rows: Iterable[tuple[object, object]]) -> Table:
    """The body of a slip: one ruled row per (label, value), 170 mm wide."""
    table = Table(
        [[paragraph(label, LABEL), paragraph(value)] for label, value in rows],
        colWidths=[32 * mm, 138 * mm],
    )
    table.setStyle(FACTS_STYLE)
    return table


def signature_table(rows: Sequence[tuple[object, object]]) -> Table:
    """Who signs and when, unruled, under the facts."""
    return Table(
        [[paragraph(left), paragraph(right)] for left, right in rows],
        colWidths=[100 * mm, 70 * mm],
    )


def build(flowables: list[Flowable], *, title: str, author: Any) -> bytes:
    """An A4 document with the slips' margins, as bytes."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=str(author),
    )
    document.build(flowables)
    return buffer.getvalue()
