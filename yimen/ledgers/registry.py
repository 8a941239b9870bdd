"""Ledgers (台账): the registers the regulations name, each a filtered view of the data.

A ledger is declared once — its title, the columns of the paper register and the rows for
a viewer and a period — and the same declaration gives the page, the print view, the
spreadsheet and the PDF, so the four never disagree. Apps declare their ledgers in a
``ledgers`` module with :func:`register`; the rows always come from a queryset scoped to
the viewer (``for_user``), so a register never shows what its reader may not see.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django import forms
from django.db.models import Choices, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language

from yimen.periods import Period


class Kind:
    """How a column's values are shown and written: text, or typed cells in the export."""

    TEXT = "text"
    LONG = "long"  # free text: wraps, and is shortened on screen
    DATE = "date"
    DATETIME = "datetime"
    NUMBER = "number"
    MONEY = "money"


@dataclass(frozen=True)
class Column:
    header: str | Promise
    value: Callable[[Any], Any]
    kind: str = Kind.TEXT
    width: int = 10  # in characters: the spreadsheet's column width and the PDF's share


@dataclass(frozen=True)
class Ledger:
    """One register: who may read it, its columns, and its rows for a period.

    ``rows(user, period, filters)`` returns the viewer's rows in register order;
    ``filters`` is the cleaned data of ``filter_form`` (empty when there is none).
    ``period_means`` tells the reader which date the period selects on.
    """

    code: str
    title: str | Promise
    description: str | Promise
    period_means: str | Promise
    columns: tuple[Column, ...]
    rows: Callable[[Any, Period, dict[str, Any]], QuerySet]
    allowed: Callable[[Any], bool]
    filter_form: Callable[..., forms.Form] | None = None
    link: Callable[[Any], str] | None = None  # the first cell links to the row's page
    position: int = 100
    extra: dict[str, Any] = field(default_factory=dict)

    def values(self, row: Any) -> list[Any]:
        return [column.value(row) for column in self.columns]


def local_date(moment: Any) -> Any:
    """The local day a register files a stored moment under (a DATE column's value)."""
    return timezone.localtime(moment).date() if moment else None


def choice_label(choices: type[Choices], value: str) -> str:
    """A stored choice's label in the reader's language, e.g. a case's status.

    Django's ``get_FOO_display`` rebuilds and hashes the whole choice map, translating each
    label, on every call: seconds of a hundred-thousand-row export. Here
    each language's map is built once; a value no longer among the choices shows as stored.
    """
    return _labels(choices, get_language()).get(value, value)


@cache
def _labels(choices: type[Choices], language: str | None) -> dict[str, str]:
    return {member.value: str(member.label) for member in choices}


def narrowed(rows: QuerySet, filters: dict[str, Any], **lookups: str) -> QuerySet:
    """``rows`` narrowed by each filter the reader filled in, e.g. ``unit="lead_unit"``.

    The choices were scoped by the filter form, so a filter only narrows the viewer's rows.
    """
    for name, lookup in lookups.items():
        value = filters.get(name)
        if value not in (None, ""):
            rows = rows.filter(**{lookup: value})
    return rows


LEDGERS: dict[str, Ledger] = {}


def register(ledger: Ledger) -> Ledger:
    if ledger.code in LEDGERS:
        raise ValueError(f"Ledger {ledger.code!r} is declared twice.")
    LEDGERS[ledger.code] = ledger
    return ledger


def ledgers_for(user: Any) -> list[Ledger]:
    """The registers this user may read, in the order the office files them."""
    return sorted(
        (ledger for ledger in LEDGERS.values() if ledger.allowed(user)),
        key=lambda ledger: (ledger.position, ledger.code),
    )


def ledger_for(user: Any, code: str) -> Ledger | None:
    """The ledger named ``code`` if this user may read it; None looks the same as unknown."""
    ledger = LEDGERS.get(code)
    return ledger if ledger is not None and ledger.allowed(user) else None
