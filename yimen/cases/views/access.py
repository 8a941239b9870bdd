"""查询本人信息: what Yimen holds about a resident, found by exact phone or ID number."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yimen.exports import stream_xlsx
from yimen.org.models import Role
from yimen.org.permissions import has_role, require

from .. import access
from ..presentation import masked_party


class AccessForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Phone number"), required=False, max_length=32)
    id_number = forms.CharField(label=gettext_lazy("ID number"), required=False, max_length=32)

    def clean(self):
        data = super().clean()
        if not (data.get("phone", "").strip() or data.get("id_number", "").strip()):
            raise forms.ValidationError(_("Give the resident's phone number or ID number."))
        return data


def may_answer(user) -> bool:
    return has_role(user, Role.DESK, Role.DIRECTOR, Role.ADMIN)


@require(may_answer)
def access_request(request: HttpRequest) -> HttpResponse:
    """Find the resident's records (masked on screen), then export them in full."""
    form = AccessForm(request.GET or None)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        parties = access.held_about(request.user, phone=data["phone"], id_number=data["id_number"])
        if request.GET.get("export") == "xlsx":
            access.log_export(request.user, parties, phone=data["phone"],
                              id_number=data["id_number"])  # fmt: skip
            return stream_xlsx(
                "personal-data.xlsx",
                _("What is held"),
                list(access.HEADERS),
                access.rows(parties),
                preamble=[[_("What Yimen holds about the person with this phone or ID number")]],
            )
        context["found"] = [(party, masked_party(party)) for party in parties]
        context["query"] = request.GET.urlencode()
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "cases/access.html", context, status=status)


urlpatterns = [path("privacy/access/", access_request, name="access_request")]
