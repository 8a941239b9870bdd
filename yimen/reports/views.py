"""The reports pages: the list with what is due, generating one, the report page, its filed
documents, and who is responsible.

Each action is a POST that calls one service function; a refusal draws the page again with
the reason beside what was typed, with the status the service gives (400, 403, 409). A
report is fetched only through ``rules.visible_reports``, so one outside the user's
jurisdiction, or one the user has no part in, is a 404, its documents included.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases.workflow import WorkflowError
from yimen.exports import XLSX_TYPE
from yimen.meetings.views import put_errors
from yimen.org.permissions import require, staff

from . import rules, services
from .content import read_snapshot
from .forms import GenerateForm, NarrativeForm, ResponsibleForm
from .models import NARRATIVE_FIELDS, Report
from .queries import due_rows
from .schedule import ReportKind

PAGE_SIZE = 30


def render_index(
    request: HttpRequest, form: GenerateForm | None = None, *, status: int = 200
) -> HttpResponse:
    user, today = request.user, timezone.localdate()
    reports = rules.visible_reports(user).select_related("jurisdiction", "filed_by")
    context = {
        "due": due_rows(user, today),
        "page": Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page")),
        "form": form or GenerateForm(),
        "may_generate": any(rules.may_generate(user, kind) for kind in ReportKind.values),
    }
    return render(request, "reports/index.html", context, status=status)


@require(rules.may_use)
def index(request: HttpRequest) -> HttpResponse:
    return render_index(request)


@require(rules.may_use)
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    """Generate a report for the user's node; a period that has one opens it."""
    form = GenerateForm(request.POST)
    if not form.is_valid():
        return render_index(request, form, status=400)
    data = form.cleaned_data
    try:
        report, created = services.generate_report(
            actor=request.user, kind=data["kind"], start=data["start"], end=data["end"]
        )
    except WorkflowError as exc:
        error = put_errors(form, exc)
        if error is not None:
            form.add_error(None, error.message)
        return render_index(request, form, status=exc.status)
    if created:
        messages.success(request, _("The report was generated from the data as it stands now."))
    else:
        messages.info(request, _("This period has a report already; here it is."))
    return redirect("reports:detail", report.pk)


def _report(request: HttpRequest, pk: int) -> Report:
    report = (
        rules.visible_reports(request.user)
        .select_related("jurisdiction", "created_by", "figures_by", "filed_by")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def render_report(
    request: HttpRequest,
    report: Report,
    *,
    form: NarrativeForm | None = None,
    error: WorkflowError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The report page; after a refused action, with the reason and the form as typed."""
    user = request.user
    may_edit = rules.may_edit(user, report)
    initial = {name: getattr(report, name) for name in NARRATIVE_FIELDS}
    context = {
        "report": report,
        "content": read_snapshot(report.figures),
        "sections": [
            (Report._meta.get_field(n).verbose_name, getattr(report, n)) for n in NARRATIVE_FIELDS
        ],  # fmt: skip
        "people": rules.responsible_people(report.jurisdiction, report.kind),
        "may_edit": may_edit,
        "may_file": rules.may_file(user, report),
        "form": (form or NarrativeForm(initial=initial)) if may_edit else None,
        "error": error,
    }
    return render(request, "reports/detail.html", context, status=status)


@require(staff)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_report(request, _report(request, pk))


def _refused(request: HttpRequest, pk: int, exc: WorkflowError, form: Any = None) -> HttpResponse:
    """The page again, read afresh (nothing was written), with the reason."""
    return render_report(request, _report(request, pk), form=form, error=exc, status=exc.status)


@require(staff)
@require_POST
def narrative(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        return render_report(request, report, form=form, status=400)
    try:
        services.save_narrative(report, actor=request.user, **form.cleaned_data)
    except WorkflowError as exc:
        return _refused(request, pk, exc, form)
    messages.success(request, _("The narrative was saved."))
    return redirect(reverse("reports:detail", args=[pk]) + "#narrative")


@require(staff)
@require_POST
def regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.regenerate_figures(_report(request, pk), actor=request.user)
    except WorkflowError as exc:
        return _refused(request, pk, exc)
    messages.success(request, _("The figures were generated again from the data as it stands now."))
    return redirect("reports:detail", pk)


@require(staff)
@require_POST
def file_report(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.file_report(_report(request, pk), actor=request.user)
    except WorkflowError as exc:
        return _refused(request, pk, exc)
    messages.success(request, _("The report is filed; its PDF and spreadsheet are on record."))
    return redirect("reports:detail", pk)


def _document(request: HttpRequest, pk: int, name: str, content_type: str) -> FileResponse:
    """A filed document, as it was written when the report was filed."""
    report = _report(request, pk)
    document = getattr(report, name)
    if not report.is_filed or not document:
        raise Http404
    filename = document.name.rsplit("/", 1)[-1]
    return FileResponse(
        document.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )


@require(staff)
def download_pdf(request: HttpRequest, pk: int) -> FileResponse:
    return _document(request, pk, "pdf", "application/pdf")


@require(staff)
def download_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    return _document(request, pk, "xlsx", XLSX_TYPE)


@require(rules.may_use)
def responsible(request: HttpRequest) -> HttpResponse:
    """Who is responsible for each node's reports; a director or administrator sets it."""
    user = request.user
    may_assign = rules.may_assign(user)
    form = ResponsibleForm(request.POST or None, user=user) if may_assign else None
    status, error = 200, None
    if request.method == "POST":
        if form is None:
            error, status = _("Only a director or an administrator sets who is responsible."), 403
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.set_responsible(
                    actor=user, jurisdiction=data["jurisdiction"], kind=data["kind"],
                    person=data["person"],
                )  # fmt: skip
                messages.success(request, _("Who is responsible was saved."))
                return redirect("reports:responsible")
            except WorkflowError as exc:
                put_errors(form, exc)
                status = exc.status
        else:
            status = 400
    choices = rules.active_choices().select_related("jurisdiction", "user", "set_by")
    rows = choices.for_user(user) if may_assign else choices.filter(user=user)
    context = {"rows": rows, "form": form, "error": error}
    return render(request, "reports/responsible.html", context, status=status)
