"""Committees (调委会) and their rosters: who is on each, and whether it keeps the rules.

Committees are listed through ``Unit.objects.for_user``; another community's committee is a
404. The roster is edited by an administrator or the committee's own chair, as a whole:
a roster breaking a composition rule is refused naming the rule, and nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from yimen.cases import workflow
from yimen.org.models import Unit, UnitKind, User
from yimen.org.permissions import require, staff
from yimen.org.scoping import get_for_user_or_404

from .. import services
from ..forms import CommitteeContactForm, MemberFormSet
from ..models import CommitteeMember


@require(staff)
def committee_list(request: HttpRequest) -> HttpResponse:
    committees = (
        services.committees_for(request.user)
        .select_related("jurisdiction")
        .prefetch_related(
            Prefetch(
                "members", queryset=CommitteeMember.objects.filter(is_active=True), to_attr="active"
            )
        )
    )
    rows = []
    for committee in committees:
        chair = next((m for m in committee.active if m.role == "chair"), None)
        rows.append(
            {
                "committee": committee,
                "members": committee.active,
                "chair": chair,
                "problems": services.composition_problems(committee.active),
            }
        )
    return render(request, "mediation/committees.html", {"rows": rows})


@require(staff)
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    committee = get_for_user_or_404(Unit, user, pk=pk, kind=UnitKind.MEDIATION)
    may_edit = services.may_edit_roster(user, committee)
    members = list(committee.members.select_related("account"))
    accounts = User.objects.filter(unit=committee, is_active=True)
    error = None
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        formset = MemberFormSet(request.POST, prefix="members", form_kwargs={"accounts": accounts})
        contact = CommitteeContactForm(request.POST)
        try:
            if not (formset.is_valid() and contact.is_valid()):
                raise workflow.Invalid(_("Nothing was saved. Please correct the marked fields."))
            by_pk = {m.pk: m for m in members}
            rows = []
            for form in formset.forms:
                if not form.cleaned_data or form.is_blank():
                    continue
                data = form.cleaned_data
                rows.append(
                    services.RosterRow(
                        name=data["name"],
                        gender=data["gender"],
                        role=data["role"],
                        phone=data["phone"],
                        account=data["account"],
                        is_active=data["is_active"],
                        member=by_pk.get(data["member"]) if data["member"] else None,
                    )
                )
            services.save_roster(
                committee,
                actor=user,
                rows=rows,
                phone=contact.cleaned_data["phone"],
                address=contact.cleaned_data["address"],
            )
        except workflow.WorkflowError as exc:
            error = exc
        else:
            messages.success(
                request, _("The roster of %(name)s is saved.") % {"name": committee.name}
            )
            return redirect("mediation:committee", pk=committee.pk)
    else:
        formset = MemberFormSet(
            prefix="members",
            initial=[_initial(m) for m in members],
            form_kwargs={"accounts": accounts},
        )
        contact = CommitteeContactForm(
            initial={"phone": committee.phone, "address": committee.address}
        )
    active = [m for m in members if m.is_active]
    context = {
        "committee": committee,
        "members": members,
        "problems": services.composition_problems(active),
        "may_edit": may_edit,
        "formset": formset if may_edit else None,
        "contact": contact if may_edit else None,
        "error": error,
    }
    return render(
        request, "mediation/committee.html", context, status=error.status if error else 200
    )


def _initial(member: CommitteeMember) -> dict[str, Any]:
    return {
        "member": member.pk,
        "name": member.name,
        "gender": member.gender,
        "role": member.role,
        "phone": member.phone,
        "account": member.account_id,
        "is_active": member.is_active,
    }


urlpatterns = [
    path("committees/", committee_list, name="committees"),
    path("committees/<int:pk>/", committee_detail, name="committee"),
]
