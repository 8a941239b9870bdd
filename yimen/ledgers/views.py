"""A ledger's page, print view, spreadsheet and PDF: one declaration, four renderings."""

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from yimen.audit.services import record
from yimen.exports import DATE_FORMAT, MONEY_FORMAT, stream_xlsx
from yimen.org.permissions import require, staff
from yimen.pdf import tables_document
from yimen.periods import Period, presets, read_period

from .cells import as_text, heading_line, on_screen
from .registry import Kind, Ledger, ledger_for, ledgers_for

PAGE_SIZE = 100
# A print view or PDF past these many rows is not read by anyone; the spreadsheet has no cap.
PRINT_LIMIT = 2000


@require(staff)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "ledgers/index.html", {"ledgers": ledgers_for(request.user)})


def _read(request: HttpRequest, code: str) -> dict[str, Any]:
    """The ledger, its period and filters from the query, and its rows; 404 when not allowed."""
    ledger = ledger_for(request.user, code)
    if ledger is None:
        raise Http404
    today = timezone.localdate()
    form, period = read_period(request.GET, today)
    filter_form = (
        ledger.filter_form(request.GET or None, user=request.user) if ledger.filter_form else None
    )
    filters: dict[str, Any] = {}
    valid = period is not None
    if filter_form is not None and filter_form.is_bound:
        valid = filter_form.is_valid() and valid
        filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    rows = ledger.rows(request.user, period, filters) if valid else None
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return {
        "ledger": ledger,
        "form": form,
        "filter_form": filter_form,
        "period": period,
        "rows": rows,
        "query": urlencode(params),
        "presets": [(label, p.params()) for label, p in presets(today)],
    }


def _screen_rows(ledger: Ledger, objects: Any, *, links: bool = True) -> list[dict[str, Any]]:
    kinds = [column.kind for column in ledger.columns]
    return [
        {
            "cells": [on_screen(v, k) for v, k in zip(ledger.values(obj), kinds, strict=True)],
            "link": ledger.link(obj) if links and ledger.link else "",
        }
        for obj in objects
    ]


@require(staff)
def ledger_page(request: HttpRequest, code: str) -> HttpResponse:
    context = _read(request, code)
    rows = context["rows"]
    if rows is None:
        return render(request, "ledgers/ledger.html", context, status=400)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, table=_screen_rows(context["ledger"], page.object_list))
    context["print_limit"] = PRINT_LIMIT
    return render(request, "ledgers/ledger.html", context)


def _too_long(request: HttpRequest, context: dict[str, Any], count: int) -> HttpResponse:
    context["too_long"] = _(
        "%(count)s rows is too many to print (at most %(limit)s): choose a shorter period "
        "or narrower filters, or export to Excel."
    ) % {"count": count, "limit": PRINT_LIMIT}
    return render(request, "ledgers/ledger.html", context, status=400)


@require(staff)
def ledger_print(request: HttpRequest, code: str) -> HttpResponse:
    """Every row on one page for the browser to print, with the register's heading."""
    context = _read(request, code)
    rows = context["rows"]
    if rows is None:
        return render(request, "ledgers/ledger.html", context, status=400)
    objects = list(rows[: PRINT_LIMIT + 1])
    if len(objects) > PRINT_LIMIT:
        return _too_long(request, context, rows.count())
    context.update(
        table=_screen_rows(context["ledger"], objects, links=False),
        count=len(objects),
        scope_line=heading_line(request.user, context["period"]),
    )
    return render(request, "ledgers/print.html", context)


def _audit_export(request: HttpRequest, ledger: Ledger, fmt: str, period: Period) -> None:
    record(
        "ledgers.exported",
        actor=request.user,
        object_type="ledger",
        object_id=ledger.code,
        object_repr=str(ledger.title),
        changes={"format": fmt, "period": str(period), "query": request.GET.urlencode()},
        path=request.user.visible_path,
    )


def _filename(ledger: Ledger, period: Period, ext: str) -> str:
    return f"{ledger.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{ext}"


@require(staff)
def ledger_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """The whole register, streamed: rows are read in chunks and written as they come."""
    context = _read(request, code)
    ledger, period, rows = context["ledger"], context["period"], context["rows"]
    if rows is None:
        return render(request, "ledgers/ledger.html", context, status=400)
    _audit_export(request, ledger, "xlsx", period)
    formats = {
        i: MONEY_FORMAT if c.kind == Kind.MONEY else DATE_FORMAT
        for i, c in enumerate(ledger.columns)
        if c.kind in (Kind.MONEY, Kind.DATE)
    }
    return stream_xlsx(
        _filename(ledger, period, "xlsx"),
        str(ledger.title),
        [c.header for c in ledger.columns],
        (ledger.values(obj) for obj in rows.iterator(chunk_size=2000)),
        preamble=[[ledger.title], [heading_line(request.user, period)]],
        formats=formats,
        widths=[c.width for c in ledger.columns],
    )


@require(staff)
def ledger_pdf(request: HttpRequest, code: str) -> HttpResponse:
    context = _read(request, code)
    ledger, period, rows = context["ledger"], context["period"], context["rows"]
    if rows is None:
        return render(request, "ledgers/ledger.html", context, status=400)
    objects = list(rows[: PRINT_LIMIT + 1])
    if len(objects) > PRINT_LIMIT:
        return _too_long(request, context, rows.count())
    _audit_export(request, ledger, "pdf", period)
    kinds = [c.kind for c in ledger.columns]
    rows = ([as_text(v, k) for v, k in zip(ledger.values(o), kinds, strict=True)] for o in objects)
    headers, widths = [c.header for c in ledger.columns], [c.width for c in ledger.columns]
    pdf = tables_document(
        title=str(ledger.title),
        lines=[heading_line(request.user, period)],
        sections=[("", headers, rows, widths)],
        author=request.user,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(ledger, period, "pdf")}"'
    return response
