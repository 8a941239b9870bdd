"""A report as it is filed: an A4 PDF on the center's paper and an .xlsx workbook.

Both are drawn from the report's stored snapshot and narrative (``content.read_snapshot``),
so what is filed is what the report page showed. The PDF is set in the center's CJK font
(``yimen.pdf``); the workbook keeps numbers as numbers and rates as percentages, with every
text cell made safe (``yimen.exports``).
"""

from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from yimen.exports import MONEY_FORMAT, PERCENT_FORMAT, add_sheet, new_workbook
from yimen.pdf import BODY, GRID_STYLE, SUB, TITLE, build, facts_table, paragraph

from .content import Content, read_snapshot
from .models import Report

HEADING = BODY.clone("report-heading", fontSize=14, leading=22, spaceBefore=10, spaceAfter=4)
CELL = BODY.clone("report-cell", fontSize=10, leading=14)
HEAD = CELL.clone("report-head", alignment=TA_CENTER)
NUMBER = CELL.clone("report-number", alignment=TA_RIGHT)
PAGE_WIDTH = 170  # mm between the margins of ``yimen.pdf.build``

SECTIONS: tuple[tuple[str, Any], ...] = (
    ("overview", gettext_lazy("Overview (概况)")),
    ("problems", gettext_lazy("Main problems and hotspots (主要问题和热点)")),
    ("measures", gettext_lazy("Measures taken (采取的措施)")),
    ("next_steps", gettext_lazy("Next steps (下步工作)")),
)


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _case_headers() -> list[str]:
    return [_("Receipt number"), _("Title"), _("Lead unit"), _("Deadline")]


def _case_rows(cases: list[dict[str, str]]) -> list[list[str]]:
    return [[c["receipt_number"], c["title"], c["lead_unit"], c["deadline"]] for c in cases]


def _tables(content: Content) -> list[tuple[str, list[str], list[list[Any]], list[int]]]:
    """Every table of the report: (heading, headers, rows, widths in mm), for the PDF."""
    return [
        (_("Main figures"), [_("Figure"), _("Number")],
         [[label, n] for label, n in content.figures], [120, 50]),
        (_("Rates"), [_("Rate"), _("Counted"), _("Value"), _("Target")],
         [[r.label, f"{r.part} / {r.whole}", r.percent, r.target_percent or "—"]
          for r in content.rates], [70, 35, 35, 30]),
        (_("Cases received by category"), [_("Category"), _("Number")],
         [[name, n] for name, n in content.categories], [120, 50]),
        (_("People's mediation"), [_("Item"), _("Number")],
         [[label, value] for label, value in content.mediation], [120, 50]),
        (_("Overdue open cases"), _case_headers(), _case_rows(content.overdue), [40, 70, 40, 20]),
        (_("Urgent open cases"), _case_headers(), _case_rows(content.urgent), [40, 70, 40, 20]),
    ]  # fmt: skip


def _table(headers: Sequence[Any], rows: list[list[Any]], widths: Sequence[int]) -> Flowable:
    if not rows:
        return paragraph(_("None."))
    data = [[paragraph(h, HEAD) for h in headers]]
    data += [[paragraph(v, NUMBER if isinstance(v, int | Decimal) else CELL) for v in row]
             for row in rows]  # fmt: skip
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(GRID_STYLE)
    return table


def _facts(report: Report, content: Content) -> list[tuple[Any, Any]]:
    return [
        (_("Jurisdiction"), report.jurisdiction.name),
        (_("Period"), str(report.period)),
        (_("Due date"), report.due_date.isoformat() if report.due_date else _("On demand")),
        (_("Figures as of"), content.as_of.isoformat()),
        (_("Filed by"), report.filed_by or "—"),
        (_("Filed at"), _when(report.filed_at)),
    ]


def report_pdf(report: Report, *, author: Any) -> bytes:
    """The report on A4: the heading facts, the narrative sections and the figures."""
    content = read_snapshot(report.figures)
    narrative = {name: getattr(report, name).strip() or "—" for name, _label in SECTIONS}
    flowables: list[Flowable] = [
        paragraph(str(settings.YIMEN_CENTER_NAME), SUB),
        paragraph(report.get_kind_display(), TITLE),
        paragraph(f"{report.jurisdiction.name} {report.period}", SUB),
        Spacer(1, 5 * mm),
        facts_table(_facts(report, content)),
    ]
    (overview, overview_label), *rest = SECTIONS
    flowables += [paragraph(overview_label, HEADING), paragraph(narrative[overview])]
    for heading, headers, rows, widths in _tables(content):
        flowables += [paragraph(heading, HEADING), _table(headers, rows, widths)]
    for name, label in rest:
        flowables += [paragraph(label, HEADING), paragraph(narrative[name])]
    title = f"{report.get_kind_display()} {report.jurisdiction.name} {report.period}"
    return build(flowables, title=title, author=author)


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: one sheet per table, then the narrative."""
    content = read_snapshot(report.figures)
    preamble = [[report.get_kind_display()], [f"{report.jurisdiction.name} {report.period}"]]
    workbook = new_workbook()

    def sheet(title: str, headers: list[Any], rows: Any, formats: dict | None = None) -> None:
        add_sheet(workbook, title, headers, rows, preamble=preamble, formats=formats)

    sheet(_("Figures"), [_("Figure"), _("Number")], content.figures)
    sheet(
        _("Rates"),
        [_("Rate"), _("Part"), _("Whole"), _("Value"), _("Target")],
        [[r.label, r.part, r.whole, r.value, r.target] for r in content.rates],
        {3: PERCENT_FORMAT, 4: PERCENT_FORMAT},
    )
    sheet(_("By category"), [_("Category"), _("Number")], content.categories)
    money = [i for i, (_label, value) in enumerate(content.mediation) if isinstance(value, Decimal)]
    sheet(
        _("Mediation"),
        [label for label, _value in content.mediation],
        [[value for _label, value in content.mediation]],
        dict.fromkeys(money, MONEY_FORMAT),
    )
    sheet(_("Overdue"), _case_headers(), _case_rows(content.overdue))
    sheet(_("Urgent"), _case_headers(), _case_rows(content.urgent))
    sheet(
        _("Narrative"),
        [_("Section"), _("Text")],
        [[label, getattr(report, name)] for name, label in SECTIONS],
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
