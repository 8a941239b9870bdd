"""The half-monthly and monthly mediation reports: on screen, as a spreadsheet, as a PDF."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yimen.exports import MONEY_FORMAT, PERCENT_FORMAT, add_sheet, new_workbook, xlsx_response
from yimen.ledgers.cells import heading_line
from yimen.org.permissions import require
from yimen.pdf import tables_document
from yimen.periods import half_month_of, last_half_month, last_month, month_of, read_period

from ..permissions import can_read_mediation_reports
from ..reports import HALF_MONTHLY, MONTHLY, REPORT_TITLES, Counts, Line, build_report

COLUMNS: list[tuple[Any, str, int]] = [
    # header, Counts attribute, relative width
    (gettext_lazy("Disputes received"), "received", 6),
    (gettext_lazy("Found in screening or by grid workers"), "found_in_field", 8),
    (gettext_lazy("Major"), "major", 5),
    (gettext_lazy("Mediated"), "mediated", 6),
    (gettext_lazy("Succeeded"), "succeeded", 6),
    (gettext_lazy("Of which partial"), "partial", 6),
    (gettext_lazy("Success rate"), "success_rate", 7),
    (gettext_lazy("Refused or transferred"), "not_mediated", 7),
    (gettext_lazy("Amount involved (yuan)"), "amount", 10),
    (gettext_lazy("Follow-up visits done"), "visits_done", 7),
    (gettext_lazy("Of which broken"), "visits_broken", 6),
    (gettext_lazy("In mediation at the end"), "pending_at_end", 7),
]
RATE = "success_rate"
MONEY = "amount"


def _kind(request: HttpRequest) -> str:
    return HALF_MONTHLY if request.GET.get("kind") == HALF_MONTHLY else MONTHLY


def _read(request: HttpRequest) -> dict[str, Any]:
    kind = _kind(request)
    today = timezone.localdate()
    default = half_month_of(today) if kind == HALF_MONTHLY else month_of(today)
    form, period = read_period(request.GET, today, default)
    presets = [
        (_("This half-month"), half_month_of(today), HALF_MONTHLY),
        (_("Last half-month"), last_half_month(today), HALF_MONTHLY),
        (_("This month"), month_of(today), MONTHLY),
        (_("Last month"), last_month(today), MONTHLY),
    ]
    return {
        "kind": kind,
        "kinds": list(REPORT_TITLES.items()),
        "title": REPORT_TITLES[kind],
        "form": form,
        "period": period,
        "presets": [(label, {"kind": k, **p.params()}) for label, p, k in presets],
        "report": build_report(request.user, period, kind) if period else None,
    }


def _cells(counts: Counts) -> list[Any]:
    return [getattr(counts, attribute) for _header, attribute, _width in COLUMNS]


def _display(counts: Counts) -> list[str]:
    values = []
    for _header, attribute, _width in COLUMNS:
        value = getattr(counts, attribute)
        if attribute == RATE:
            values.append("—" if value is None else f"{value:.1%}")
        elif attribute == MONEY:
            values.append(f"{value:,.2f}")
        else:
            values.append(str(value))
    return values


def _table(first: Any, lines: list[Line], total: Counts | None) -> dict[str, Any]:
    rows = [[str(line.label), *_display(line.counts)] for line in lines]
    return {
        "headers": [first, *(header for header, _a, _w in COLUMNS)],
        "rows": rows,
        "total": [_("Total"), *_display(total)] if total is not None else None,
    }


@require(can_read_mediation_reports)
def report_page(request: HttpRequest) -> HttpResponse:
    context = _read(request)
    report = context["report"]
    if report is None:
        return render(request, "mediation/report.html", context, status=400)
    context["by_type"] = _table(_("Type of dispute"), report.by_type, report.total)
    context["by_committee"] = _table(_("Committee"), report.by_committee, None)
    context["query"] = request.GET.urlencode() or f"kind={context['kind']}"
    return render(request, "mediation/report.html", context)


def _filename(kind: str, period: Any, ext: str) -> str:
    return f"mediation-{kind.replace('_', '-')}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{ext}"


@require(can_read_mediation_reports)
def report_xlsx(request: HttpRequest) -> HttpResponse:
    """Two sheets — by type with a total, by committee — with numbers as numbers."""
    context = _read(request)
    report = context["report"]
    if report is None:
        return render(request, "mediation/report.html", context, status=400)
    formats = {
        1 + i: PERCENT_FORMAT if attribute == RATE else MONEY_FORMAT
        for i, (_h, attribute, _w) in enumerate(COLUMNS)
        if attribute in (RATE, MONEY)
    }
    headers = [header for header, _a, _w in COLUMNS]
    preamble = [[report.title], [heading_line(request.user, report.period)]]
    workbook = new_workbook()
    by_type = [[line.label, *_cells(line.counts)] for line in report.by_type]
    by_type.append([_("Total"), *_cells(report.total)])
    add_sheet(
        workbook,
        _("By type"),
        [_("Type of dispute"), *headers],
        by_type,
        preamble=preamble,
        formats=formats,
    )
    add_sheet(
        workbook,
        _("By committee"),
        [_("Committee"), *headers],
        ([line.label, *_cells(line.counts)] for line in report.by_committee),
        preamble=preamble,
        formats=formats,
    )
    return xlsx_response(workbook, _filename(report.kind, report.period, "xlsx"))


@require(can_read_mediation_reports)
def report_pdf(request: HttpRequest) -> HttpResponse:
    context = _read(request)
    report = context["report"]
    if report is None:
        return render(request, "mediation/report.html", context, status=400)
    widths = [12, *(width for _h, _a, width in COLUMNS)]
    sections = []
    for heading, first, lines, total in (
        (_("By type of dispute"), _("Type of dispute"), report.by_type, report.total),
        (_("By committee"), _("Committee"), report.by_committee, None),
    ):
        table = _table(first, lines, total)
        rows = table["rows"] + ([table["total"]] if table["total"] else [])
        sections.append((heading, table["headers"], rows, widths))
    pdf = tables_document(
        title=str(report.title),
        lines=[heading_line(request.user, report.period)],
        sections=sections,
        author=request.user,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = _filename(report.kind, report.period, "pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("reports/", report_page, name="report"),
    path("reports/export.xlsx", report_xlsx, name="report_xlsx"),
    path("reports/export.pdf", report_pdf, name="report_pdf"),
]
