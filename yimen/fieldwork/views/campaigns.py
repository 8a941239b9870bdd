"""Screening campaigns (排查): the list, a new or next routine campaign, the campaign page
with which grids have reported and which have not, a grid's report, and the exports."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases.workflow import Invalid, WorkflowError
from yimen.exports import add_sheet, new_workbook, xlsx_response
from yimen.org.permissions import require, staff
from yimen.pdf import tables_document

from .. import services
from ..forms import CampaignForm, ScreeningFindingFormSet
from ..models import Campaign, CampaignGrid, CampaignKind
from . import place_errors


@require(staff)
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns over the user's grids, each with how many of those grids reported."""
    user = request.user
    mine = Q(grids__grid__path__startswith=user.visible_path or "\0")
    campaigns = Campaign.objects.for_user(user).annotate(
        in_scope=Count("grids", filter=mine),
        reported=Count("grids", filter=mine & Q(grids__reported_at__isnull=False)),
    )
    organiser = services.may_organise_campaigns(user)
    previous = services.last_routine(user) if organiser else None
    context = {
        "campaigns": campaigns,
        "may_organise": organiser,
        "next_routine": services.next_routine_period(user, timezone.localdate())
        if previous
        else None,
    }
    return render(request, "fieldwork/campaigns.html", context)


@require(staff)
def campaign_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.may_organise_campaigns(user):
        raise PermissionDenied
    starts_on, ends_on = services.next_routine_period(user, timezone.localdate())
    initial = {"kind": CampaignKind.ROUTINE, "starts_on": starts_on, "ends_on": ends_on}
    form = CampaignForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(
                actor=user,
                kind=data["kind"],
                title=data["title"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                grids=list(data["grids"]),
                checklist=data["checklist"],
            )
        except WorkflowError as error:
            place_errors(error, form)
        else:
            messages.success(request, _("The screening campaign is created."))
            return redirect("fieldwork:campaign", campaign.pk)
    if not form.is_bound:
        form.initial["grids"] = list(services.grids_for(user).values_list("pk", flat=True))
    status = 400 if request.method == "POST" else 200
    return render(request, "fieldwork/campaign_form.html", {"form": form}, status=status)


@require(staff)
@require_POST
def next_routine(request: HttpRequest) -> HttpResponse:
    """The next routine campaign, in one step, from the day after the last one ended."""
    if not services.may_organise_campaigns(request.user):
        raise PermissionDenied
    try:
        campaign = services.create_next_routine(actor=request.user, today=timezone.localdate())
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("fieldwork:campaigns")
    messages.success(request, _("The next routine screening is created."))
    return redirect("fieldwork:campaign", campaign.pk)


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    campaign = Campaign.objects.for_user(request.user).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def _render_campaign(
    request: HttpRequest,
    campaign: Campaign,
    bound: tuple[int, Any] | None = None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The campaign page; ``bound`` is one grid's report form as sent, ``error`` why it was
    refused."""
    user = request.user
    rows = list(services.campaign_rows(campaign, user))
    for row in rows:
        row.may_report = row.reported_at is None and services.may_report_screening(user, row)
        if row.may_report:
            row.formset = (
                bound[1]
                if bound and bound[0] == row.pk
                else ScreeningFindingFormSet(prefix=f"r{row.pk}")
            )
    reported = sum(1 for row in rows if row.reported_at)
    context = {
        "campaign": campaign,
        "rows": rows,
        "reported": reported,
        "not_reported": len(rows) - reported,
        "started": campaign.starts_on <= timezone.localdate(),
        "error_row": bound[0] if bound and error else None,
        "error": error,
    }
    return render(request, "fieldwork/campaign.html", context, status=status)


@require(staff)
def campaign_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_campaign(request, _campaign(request, pk))


@require(staff)
@require_POST
def report(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    """A grid's one report: "checked, nothing found", or its findings (each a case)."""
    campaign = _campaign(request, pk)
    target = CampaignGrid.objects.for_user(request.user).filter(campaign=campaign, pk=row).first()
    if target is None:
        raise Http404
    formset = ScreeningFindingFormSet(request.POST, prefix=f"r{target.pk}")
    nothing = "nothing_found" in request.POST
    if not nothing and not formset.is_valid():
        return _render_campaign(request, campaign, (target.pk, formset), status=400)
    try:
        findings = [] if nothing else _screening_findings(formset)
        services.report_screening(target, actor=request.user, findings=findings)
    except WorkflowError as error:
        bound = (target.pk, formset)
        return _render_campaign(request, campaign, bound, error=error.message, status=400)
    messages.success(request, _("The report of %(grid)s is recorded.") % {"grid": target.grid})
    return redirect("fieldwork:campaign", campaign.pk)


def _screening_findings(formset: Any) -> list[services.NewScreeningFinding]:
    findings = [
        services.NewScreeningFinding(form.cleaned_data["text"], form.cleaned_data["category"])
        for form in formset.forms
        if form.has_changed()
    ]
    if not findings:
        raise Invalid(_("Enter what was found, or report that nothing was found."))
    return findings


# --- the campaign report, exported ------------------------------------------------------


def _report_table(campaign: Campaign, user: Any) -> tuple[list[str], list[list[Any]]]:
    """One line per grid the user serves: reported or not, when, by whom, and what."""
    headers = [
        _("Grid"),
        _("Grid worker"),
        _("Reported"),
        _("Reported at"),
        _("Reported by"),
        _("Result"),
        _("Cases"),
    ]
    rows = []
    for row in services.campaign_rows(campaign, user):
        assignment = getattr(row.grid, "assignment", None)
        findings = list(row.findings.all())
        if row.reported_at is None:
            result = ""
        elif row.nothing_found:
            result = _("Checked, nothing found")
        else:
            result = "；".join(f.text for f in findings)
        rows.append(
            [
                row.grid.name,
                str(assignment.worker) if assignment else "",
                _("Yes") if row.reported_at else _("No"),
                timezone.localtime(row.reported_at) if row.reported_at else None,
                str(row.reported_by) if row.reported_by else "",
                result,
                "、".join(f.case.receipt_number for f in findings),
            ]
        )
    return headers, rows


WIDTHS = [12, 9, 6, 14, 9, 30, 16]


def _lines(campaign: Campaign, rows: list[list[Any]]) -> list[str]:
    reported = sum(1 for row in rows if row[3] is not None)
    lines = [
        _("%(kind)s, %(start)s to %(end)s")
        % {
            "kind": campaign.get_kind_display(),
            "start": campaign.starts_on.isoformat(),
            "end": campaign.ends_on.isoformat(),
        },
        _("Grids reported: %(reported)d of %(total)d") % {"reported": reported, "total": len(rows)},
    ]
    if campaign.checklist_items:
        lines.append(_("Checklist: %(items)s") % {"items": "；".join(campaign.checklist_items)})
    return lines


def _filename(campaign: Campaign, ext: str) -> str:
    return f"screening-{campaign.pk}-{campaign.starts_on:%Y%m%d}.{ext}"


@require(staff)
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    headers, rows = _report_table(campaign, request.user)
    workbook = new_workbook()
    preamble = [[campaign.title], *([line] for line in _lines(campaign, rows))]
    add_sheet(workbook, _("Screening report"), headers, rows, preamble=preamble)
    return xlsx_response(workbook, _filename(campaign, "xlsx"))


@require(staff)
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    headers, rows = _report_table(campaign, request.user)
    printable = [[cell.strftime("%Y-%m-%d %H:%M") if cell and i == 3 else cell
                  for i, cell in enumerate(row)] for row in rows]  # fmt: skip
    pdf = tables_document(
        title=campaign.title,
        lines=_lines(campaign, rows),
        sections=[("", headers, printable, WIDTHS)],
        author=request.user,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(campaign, "pdf")}"'
    return response


urlpatterns = [
    path("campaigns/", campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_new, name="campaign_new"),
    path("campaigns/next-routine/", next_routine, name="next_routine"),
    path("campaigns/<int:pk>/", campaign_page, name="campaign"),
    path("campaigns/<int:pk>/grids/<int:row>/report/", report, name="report"),
    path("campaigns/<int:pk>/report.xlsx", report_xlsx, name="report_xlsx"),
    path("campaigns/<int:pk>/report.pdf", report_pdf, name="report_pdf"),
]
