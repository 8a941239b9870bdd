"""The smart-intake page: which suggester answers and why, accuracy by month, training."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yimen.cases.models import Case
from yimen.org.models import Role
from yimen.org.permissions import has_role, require

from . import services
from .models import RunStatus, Suggestion, TrainingRun


def may_view(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR)


def may_train(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.DIRECTOR)


@require(may_view)
def index(request: HttpRequest) -> HttpResponse:
    suggestions = Suggestion.objects.filter(case__in=Case.objects.for_user(request.user))
    context = {
        "state": services.state(),
        "months": services.accuracy_by_month(suggestions)[:12],
        "runs": TrainingRun.objects.all()[:10],
        "may_train": may_train(request.user),
        "min_cases": services.MIN_CASES,
    }
    return render(request, "triage/index.html", context)


@require(may_train)
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    run = services.train_from_cases()
    if run.status == RunStatus.TRAINED:
        messages.success(
            request,
            _("Trained on %(n)s closed cases in %(k)s categories.")
            % {"n": run.samples, "k": run.categories},
        )
    else:
        messages.error(request, run.message)
    return redirect("triage:index")


app_name = "triage"
urlpatterns = [
    path("", index, name="index"),
    path("train/", train, name="train"),
]
