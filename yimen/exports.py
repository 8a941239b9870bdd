"""Spreadsheet exports any app can reuse: safe cells, a sheet from a table, the download.

Text in an export often comes from users (unit names, titles, accounts of a matter). A
spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(CSV/formula injection), so every such text cell goes through :func:`safe_cell` first.
"""

import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# Tab and carriage return too: some programs skip them and then read a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
MONEY_FORMAT = "#,##0.00"


def safe_cell(value: Any) -> Any:
    """``value`` as a cell may hold it without being run as a formula.

    Text starting with a formula trigger gets a leading apostrophe, the spreadsheet's own
    mark for "this is text"; the text stays readable and nothing is evaluated. Numbers,
    dates and ``None`` pass unchanged so they stay numbers and dates; other objects (lazy
    translations, model instances) become their text first.
    """
    if value is None or isinstance(value, bool | int | float | Decimal | date):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _excel_value(value: Any) -> Any:
    """Excel has no time zones: aware datetimes are written in local time."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)
    return safe_cell(value)


def add_sheet(
    workbook: Workbook,
    title: str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    preamble: Sequence[Sequence[Any]] = (),
    formats: dict[int, str] | None = None,
) -> Worksheet:
    """Write one table on a new sheet: optional preamble lines, a bold header row, the rows.

    ``formats`` maps a column index (0-based) to a number format, e.g. ``PERCENT_FORMAT``;
    dates get ``yyyy-mm-dd`` wherever they are.
    """
    sheet = workbook.create_sheet(title=str(title)[:31])
    for line in preamble:
        sheet.append([_excel_value(v) for v in line])
    if preamble:
        sheet.append([])
    sheet.append([_excel_value(h) for h in headers])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_excel_value(v) for v in row])
    formats = formats or {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.row > header_row and cell.column - 1 in formats:
                cell.number_format = formats[cell.column - 1]
            elif isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(str(header)) * 2)
    return sheet


def new_workbook() -> Workbook:
    """An empty workbook: ``add_sheet`` adds every sheet, so the default one goes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    """The workbook as a download named ``filename`` (ASCII, ending in ``.xlsx``)."""
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _row_value(sheet: Worksheet, value: Any, number_format: str | None) -> Any:
    """A value as ``append`` takes it: a cell with a number format only where one is needed.

    openpyxl writes a row's plain values through one reused cell, while every cell object
    made here costs its own object and style lookup: over a hundred thousand rows it pays
    to make one only for dates and formatted numbers.
    """
    value = _excel_value(value)
    if not number_format and not isinstance(value, date):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    else:
        cell.number_format = DATE_FORMAT
    return cell


def stream_xlsx(
    filename: str,
    title: str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    preamble: Sequence[Sequence[Any]] = (),
    formats: dict[int, str] | None = None,
    widths: Sequence[int] = (),
) -> FileResponse:
    """A one-sheet workbook written row by row to a temporary file, then sent from it.

    openpyxl's write-only mode keeps no row in memory once written, and ``rows`` may be a
    lazy iterator (``QuerySet.iterator()``), so a register of any length exports in
    constant memory. The file is anonymous and goes away when the response is closed.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header_row = len(preamble) + (1 if preamble else 0) + 1
    sheet.freeze_panes = f"A{header_row + 1}"
    for line in preamble:
        sheet.append([_excel_value(v) for v in line])
    if preamble:
        sheet.append([])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_excel_value(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = formats or {}
    for row in rows:
        sheet.append([_row_value(sheet, v, formats.get(i)) for i, v in enumerate(row)])
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
