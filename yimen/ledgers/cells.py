"""A ledger value as the page and the PDF show it (the spreadsheet keeps it typed)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from yimen.periods import Period

from .registry import Kind

SHORT_TEXT = 60  # characters of free text the screen shows; the exports keep it whole


def as_text(value: Any, kind: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, date):
        return formats.date_format(value, "Y-m-d")
    if kind == Kind.MONEY and isinstance(value, int | float | Decimal):
        return f"{value:,.2f}"
    return str(value)


def on_screen(value: Any, kind: str) -> dict[str, Any]:
    """The text and, for long free text, the shortened form with the whole as a tooltip."""
    text = as_text(value, kind)
    if kind == Kind.LONG and len(text) > SHORT_TEXT:
        return {"text": text[:SHORT_TEXT] + "…", "full": text, "kind": kind}
    return {"text": text, "full": "", "kind": kind}


def heading_line(user: Any, period: Period) -> str:
    """Under a printed register's title: whose scope, which period, who made it and when."""
    return _("%(scope)s | %(period)s | made by %(user)s at %(now)s") % {
        "scope": user.jurisdiction,
        "period": period,
        "user": user.get_full_name() or user.username,
        "now": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
