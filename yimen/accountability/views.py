"""The accountability page, its spreadsheet, and the list behind each number."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from yimen.cases.models import Case, CaseEvent, FollowUp
from yimen.exports import PERCENT_FORMAT, add_sheet, new_workbook, xlsx_response
from yimen.org.models import Unit, User
from yimen.org.permissions import require
from yimen.org.scoping import get_for_user_or_404
from yimen.periods import Period, presets, read_period

from .measures import MEASURES, Scope, rows_of, tally
from .permissions import can_view_accountability
from .tables import Table, staff_table, units_table

PAGE_SIZE = 100


def _period_params(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _tables(scope: Scope) -> tuple[Table, Table]:
    base = reverse("accountability:cases")
    params = _period_params(scope.period)

    def link(code: str, target: dict[str, int]) -> str:
        return f"{base}?{urlencode({'measure': code, **params, **target})}"

    tallies = tally(scope)
    return units_table(scope, tallies, link), staff_table(scope, tallies, link)


@require(can_view_accountability)
def index(request: HttpRequest) -> HttpResponse:
    """Per unit and per staff member, for a period: what was handled, and how."""
    today = timezone.localdate()
    form, period = read_period(request.GET, today)
    context: dict[str, Any] = {
        "form": form,
        "period": period,
        "presets": [(label, _period_params(p)) for label, p in presets(today)],
    }
    if period is not None:
        scope = Scope(request.user, period, today)
        context["units"], context["staff"] = _tables(scope)
        context["as_of"] = scope.as_of
        context["export_query"] = urlencode(_period_params(period))
    return render(request, "accountability/index.html", context, status=200 if period else 400)


def _sheet_rows(table: Table) -> list[list[Any]]:
    rows = [[cell.value for cell in row] for row in table.rows]
    if table.total:
        rows.append([cell.value for cell in table.total])
    return rows


def _formats(table: Table) -> dict[int, str]:
    row = table.total or (table.rows[0] if table.rows else [])
    return {i: PERCENT_FORMAT for i, cell in enumerate(row) if cell.kind == "rate"}


@require(can_view_accountability)
def export(request: HttpRequest) -> HttpResponse:
    """The same two tables as a spreadsheet: one sheet each, numbers as numbers."""
    today = timezone.localdate()
    period = read_period(request.GET, today)[1]
    if period is None:
        return index(request)  # the page, with the form's errors
    scope = Scope(request.user, period, today)
    units, staff = _tables(scope)
    preamble = [
        [_("Staff accountability")],
        [_("From"), period.start, _("To"), period.end, _("Open cases as of"), scope.as_of],
    ]
    workbook = new_workbook()
    for table in (units, staff):
        add_sheet(
            workbook,
            table.title,
            table.headers,
            _sheet_rows(table),
            preamble=preamble,
            formats=_formats(table),
        )
    filename = f"accountability-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    return xlsx_response(workbook, filename)


# --- the list behind a number --------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One counted row, whatever it came from: a timeline entry, a follow-up or a case."""

    case: Case
    at: datetime | None
    by: Any
    deadline: date | None
    note: str = ""


def _prepared(rows: QuerySet) -> QuerySet:
    if rows.model is Case:
        return rows.select_related("category", "jurisdiction", "lead_unit").order_by(
            "received_at", "pk"
        )
    prefix = "case__"
    who = "actor" if rows.model is CaseEvent else "by"
    return rows.select_related(f"{prefix}category", f"{prefix}jurisdiction", who).order_by(
        "at", "pk"
    )


def _entry(obj: Any) -> Entry:
    deadline = getattr(obj, "acc_deadline", None)
    if isinstance(obj, Case):
        # A case still open past its deadline counts as of the period's end, not a moment.
        still_open = hasattr(obj, "acc_status")
        return Entry(obj, None if still_open else obj.received_at, None, deadline)
    if isinstance(obj, FollowUp):
        return Entry(obj.case, obj.at, obj.by, None, obj.comment or obj.close_reason)
    note = obj.note if obj.action == "returned" else ""
    return Entry(obj.case, obj.at, obj.actor, deadline, note)


class _Chain:
    """Several querysets paged as one list: ``Paginator`` needs only ``count`` and slices."""

    def __init__(self, parts: list[QuerySet]):
        self.parts = parts
        self.sizes = [part.count() for part in parts]

    def count(self) -> int:
        return sum(self.sizes)

    def __getitem__(self, window: slice) -> list[Entry]:
        start, stop, found = window.start or 0, window.stop, []
        for part, size in zip(self.parts, self.sizes, strict=True):
            if start < size and stop > 0:
                found.extend(_entry(obj) for obj in part[max(start, 0) : min(stop, size)])
            start, stop = start - size, stop - size
        return found


@require(can_view_accountability)
def cases(request: HttpRequest) -> HttpResponse:
    """The rows behind one number of the tables, in the order they happened."""
    user, today = request.user, timezone.localdate()
    measure = MEASURES.get(request.GET.get("measure", ""))
    period = read_period(request.GET, today)[1]
    if measure is None or period is None:
        raise Http404
    scope = Scope(user, period, today)
    unit = person = None
    if request.GET.get("staff"):
        person = get_for_user_or_404(User, user, pk=request.GET["staff"])
        parts = rows_of(measure, scope, person=person.pk)
    elif request.GET.get("unit"):
        unit = get_for_user_or_404(Unit, user, pk=request.GET["unit"])
        parts = rows_of(measure, scope, units=[unit.pk])
    else:
        parts = rows_of(measure, scope, units=Unit.objects.for_user(user).values("pk"))
    page = Paginator(_Chain([_prepared(p) for p in parts]), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "measure": measure,
        "label": measure.staff_label if person else measure.label,
        "period": period,
        "unit": unit,
        "person": person,
        "page": page,
        "back": f"{reverse('accountability:index')}?{urlencode(_period_params(period))}",
    }
    return render(request, "accountability/cases.html", context)
