"""The case list's filters, shared by the pages and the API.

Every choice is built from the user's scope, and the queryset handed in must already be
``Case.objects.for_user(user)``: a filter only ever narrows what the user may see.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.org.models import Jurisdiction, Unit, depth_of
from yimen.search.query import search_cases
from yimen.widgets import FastSelect

from .models import Case, Category, Channel, Status
from .routing import ancestor_ids
from .workflow import OPEN

OPEN_STATUSES = "open"


def visible_units(user: Any) -> QuerySet[Unit]:
    """Units a user's cases can be handled by: their subtree's and those above their node."""
    path = getattr(user, "visible_path", None)
    if not path:
        return Unit.objects.none()
    return (
        Unit.objects.filter(
            Q(jurisdiction__path__startswith=path) | Q(jurisdiction_id__in=ancestor_ids(path))
        )
        .select_related("jurisdiction")
        .order_by("jurisdiction__path", "name")
    )


def _place_choices(user: Any) -> list[tuple[str, str]]:
    # Tuples, not model instances: a street has over a thousand places (bench/README, "Scale").
    nodes = Jurisdiction.objects.for_user(user).values_list("code", "name", "path")
    top = user.jurisdiction.depth if getattr(user, "jurisdiction_id", None) else 0
    return [("", _("all places"))] + [
        (code, f"{'— ' * max(depth_of(path) - top, 0)}{name}") for code, name, path in nodes
    ]


def _unit_choices(user: Any) -> list[tuple[str, str]]:
    rows = visible_units(user).values_list("pk", "name", "jurisdiction__name")
    return [("", _("all units"))] + [(str(pk), f"{name} ({place})") for pk, name, place in rows]


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("all categories"),
    )
    unit = forms.CharField(label=_("Unit"), required=False, max_length=20)
    grid = forms.CharField(label=_("Place"), required=False, max_length=32)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("all channels")), *Channel.choices]
    )
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["status"].choices = [
            ("", _("all statuses")),
            (OPEN_STATUSES, _("all open")),
            *Status.choices,
        ]
        # The long lists are read only if the form is drawn (the API filters with it too).
        self.fields["unit"].widget = FastSelect(options=lambda: _unit_choices(user))
        self.fields["grid"].widget = FastSelect(options=lambda: _place_choices(user))

    def clean_unit(self) -> Unit | None:
        """A unit the user's cases can be handled by, by its primary key."""
        value = self.cleaned_data["unit"].strip()
        if not value:
            return None
        unit = visible_units(self.user).filter(pk=int(value)).first() if value.isdigit() else None
        if unit is None:
            message = forms.ModelChoiceField.default_error_messages["invalid_choice"]
            raise forms.ValidationError(message, code="invalid_choice")
        return unit

    def clean_grid(self) -> Jurisdiction | None:
        """A jurisdiction's code or primary key, inside the user's subtree."""
        value = self.cleaned_data["grid"].strip()
        if not value:
            return None
        nodes = Jurisdiction.objects.for_user(self.user).defer("polygon")
        node = nodes.filter(code=value).first()
        if node is None and value.isdigit():
            node = nodes.filter(pk=int(value)).first()
        if node is None:
            raise forms.ValidationError(_("Choose a place in your jurisdiction."), code="place")
        return node

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        return data

    def apply(self, cases: QuerySet[Case], today: date) -> QuerySet[Case]:
        """The cases matching the filters; call after ``is_valid()``."""
        data = self.cleaned_data
        if data["status"] == OPEN_STATUSES:
            cases = cases.filter(status__in=OPEN)
        elif data["status"]:
            cases = cases.filter(status=data["status"])
        if data["category"] is not None:
            cases = cases.filter(category=data["category"])
        if (unit := data["unit"]) is not None:
            co = Case.co_units.through.objects.filter(case=OuterRef("pk"), unit=unit)
            cases = cases.filter(Q(lead_unit=unit) | Exists(co))
        if data["grid"] is not None:
            cases = cases.filter(jurisdiction__path__startswith=data["grid"].path)
        if data["channel"]:
            cases = cases.filter(channel=data["channel"])
        # Bounds as local midnights keep the received_at index usable. A date at the end of
        # the calendar bounds nothing, and its midnight would not fit a datetime in UTC.
        if data["received_from"] and data["received_from"] > _EARLIEST:
            cases = cases.filter(received_at__gte=_local_midnight(data["received_from"]))
        if data["received_to"] and data["received_to"] < _LATEST:
            end = _local_midnight(data["received_to"] + timedelta(days=1))
            cases = cases.filter(received_at__lt=end)
        if data["overdue"]:
            cases = cases.filter(status__in=OPEN, deadline__lt=today)
        if q := data["q"].strip():
            # Last: the newest matches it ranks are those of the cases filtered above.
            cases = search_cases(cases, q)  # best first; annotated with search_rank
        return cases


_EARLIEST, _LATEST = date.min + timedelta(days=2), date.max - timedelta(days=2)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_cases(
    cases: QuerySet[Case], params: Any, *, user: Any, today: date
) -> tuple[QuerySet[Case], CaseFilterForm]:
    """Narrow ``cases`` by the GET-style ``params``; return the result and the bound form.

    ``params`` may be a ``QueryDict`` or a plain dict with the keys ``q`` (words in the
    title, account, result or timeline notes, or a receipt number: ``search_cases``, which
    orders by relevance and recency), ``status`` (a status, or ``open`` for every open one),
    ``category`` (code), ``unit`` (pk; lead or co-handling unit), ``grid`` (a jurisdiction's
    code or pk: its whole subtree), ``channel``, ``received_from`` / ``received_to``
    (local dates, both included) and ``overdue`` (``1``: open with the deadline before
    ``today``). A filter that does not validate gives no cases rather than silently all of
    them; ``form.errors`` says why.
    """
    form = CaseFilterForm(params, user=user)
    if not form.is_valid():
        return cases.none(), form
    return form.apply(cases, today), form
