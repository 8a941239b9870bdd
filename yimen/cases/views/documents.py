"""Case documents as files: the assignment slip PDF."""

from django.http import Http404, HttpResponse
from django.urls import path

from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from ..documents import assignment_slip_pdf
from ..models import Case


@require(staff)
def slip_pdf(request, pk: int, slip_pk: int) -> HttpResponse:
    case = get_for_user_or_404(Case, request.user, pk=pk)
    slip = case.slips.select_related("lead_unit", "issued_by__unit").filter(pk=slip_pk).first()
    if slip is None:
        raise Http404
    response = HttpResponse(assignment_slip_pdf(slip), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slip.number}.pdf"'
    return response


urlpatterns = [
    path("<int:pk>/slips/<int:slip_pk>.pdf", slip_pdf, name="slip_pdf"),
]
