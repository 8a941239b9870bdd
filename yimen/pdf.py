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
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
TITLE = ParagraphStyle("title", parent=BODY, fontSize=20, leading=28, alignment=TA_CENTER)
SUB = ParagraphStyle("sub", parent=BODY, fontSize=12, alignment=TA_CENTER)
LABEL = ParagraphStyle("label", parent=BODY, alignment=TA_CENTER)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10.5)
HEAD = ParagraphStyle("head", parent=CELL, alignment=TA_CENTER)

# A register's grid: ruled, the header row on grey and repeated on every page.
GRID_STYLE = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)

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


def _page_number(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawRightString(
        document.pagesize[0] - document.rightMargin, 10 * mm, f"第 {document.page} 页"
    )
    canvas.restoreState()


def _grid(headers: Sequence[object], rows: Iterable[Sequence[object]], widths: Sequence[int]):
    page_width = landscape(A4)[0] - 24 * mm
    total = sum(widths) or 1
    data = [[paragraph(h, HEAD) for h in headers]]
    data += [[paragraph("" if v is None else v, CELL) for v in row] for row in rows]
    grid = LongTable(data, colWidths=[page_width * w / total for w in widths], repeatRows=1)
    grid.setStyle(GRID_STYLE)
    return grid


def tables_document(
    *,
    title: str,
    lines: Sequence[object],
    sections: Sequence[tuple[object, Sequence[object], Iterable[Sequence[object]], Sequence[int]]],
    author: Any,
) -> bytes:
    """Registers and reports on landscape A4: a title, a few lines, then ruled tables.

    Each section is ``(heading, headers, rows, widths)``; ``widths`` are relative shares
    of the page width (the spreadsheet's column widths), so one declaration lays out both
    exports. Every page repeats its table's header row and carries its number, as a bound
    paper register does.
    """
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=str(author),
    )
    flowables: list[Flowable] = [paragraph(title, TITLE)]
    flowables += [paragraph(line, SUB) for line in lines]
    for heading, headers, rows, widths in sections:
        flowables.append(Spacer(1, 4 * mm))
        if heading:
            flowables.append(paragraph(heading, BODY))
        flowables.append(_grid(headers, rows, widths))
    document.build(flowables, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()
