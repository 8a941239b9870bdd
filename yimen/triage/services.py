"""Suggest a category and a handling unit from what the resident said; learn from closed cases.

The model (``yimen.triage.model``) is trained on the center's own closed cases by
``manage.py train_triage`` and nightly by the worker. Until there are enough of them, or
when the model file is missing or unreadable, keyword rules answer instead, and the triage
page says which one is answering and why. Every suggestion made at registration is kept
next to the category and unit the case was then assigned with, so accuracy is reported
from real decisions.
"""

import os
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.cases.models import Case, Category, Status
from yimen.cases.routing import Stage, suggest_unit
from yimen.org.models import Unit

from .models import RunStatus, Source, Suggestion, TrainingRun
from .rules import rule_scores

TOP = 3
MIN_CASES = 60  # closed cases before a model is worth more than the keyword rules
MIN_PER_CATEGORY = 5  # a category with fewer closed cases is left to the rules
LEARN_FROM = (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED)
_MEANINGFUL = re.compile(r"[\w\u4e00-\u9fff]")


def model_path() -> Path:
    return Path(settings.YIMEN_TRIAGE_MODEL)


@dataclass
class State:
    """Which suggester answers, and why; shown on the triage page."""

    source: str
    reason: str = ""
    model: Any = None  # a yimen.triage.model.TriageModel

    @property
    def trained_at(self) -> Any:
        return self.model.meta.get("trained_at") if self.model else None


_cache: dict[str, Any] = {}
_lock = threading.Lock()


def state() -> State:
    """The loaded model, or the rules with the reason; reloaded when the file changes."""
    path = model_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return State(Source.RULES, _("No model has been trained yet: keyword rules suggest."))
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    # The learning libraries load with the first model, not with every web process.
    from .model import ModelError, load

    with _lock:
        if _cache.get("key") != key:
            try:
                _cache["state"] = State(Source.MODEL, model=load(path))
            except ModelError as exc:
                _cache["state"] = State(
                    Source.RULES,
                    _("The model file cannot be read (%(error)s): keyword rules suggest.")
                    % {"error": exc},
                )
            _cache["key"] = key
        return _cache["state"]


@dataclass
class Suggested:
    """Up to three categories with confidence, and the unit the rules give for the first."""

    source: str
    categories: list[tuple[Category, float]] = field(default_factory=list)
    unit: Unit | None = None
    reason: str = ""

    @property
    def first(self) -> Category | None:
        return self.categories[0][0] if self.categories else None


def _active_categories() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.filter(is_active=True)}


def suggest(title: str, description: str = "", jurisdiction: Any = None) -> Suggested:
    """The categories most likely for this text, best first, and the routing rule's unit.

    Text with fewer than two letters or characters gets no suggestion rather than a guess.
    """
    text = f"{title or ''}\n{description or ''}".strip()
    if len(_MEANINGFUL.findall(text)) < 2:
        return Suggested(Source.RULES, reason=_("Type a little more to get a suggestion."))
    active = _active_categories()
    current = state()
    if current.model is not None:
        ranked = current.model.suggest(text, k=len(active))
    else:
        ranked = rule_scores(text, [(c.code, c.name) for c in active.values()])
    categories = [(active[code], p) for code, p in ranked if code in active][:TOP]
    result = Suggested(current.source, categories, reason=current.reason)
    if not categories:
        result.reason = _("Nothing in the text points to a category: choose one.")
    elif jurisdiction is not None and getattr(jurisdiction, "path", ""):
        rule = suggest_unit(jurisdiction, categories[0][0], Stage.INITIAL)
        result.unit = rule.unit if rule else None
    return result


def record_suggestion(case: Case) -> Suggestion:
    """Keep what would have been suggested for a newly registered case."""
    suggested = suggest(case.title, case.description, case.jurisdiction)
    current = state()
    return Suggestion.objects.create(
        case=case,
        at=timezone.now(),
        source=suggested.source,
        categories=[[c.code, round(p, 3)] for c, p in suggested.categories],
        unit=suggested.unit,
        model_trained_at=current.trained_at if current.model else None,
    )


def record_choice(case: Case, *, unit: Unit, actor: Any) -> None:
    """The category and lead unit a case was assigned with, next to its suggestion."""
    Suggestion.objects.filter(case=case, chosen_at__isnull=True).update(
        chosen_category=case.category_id,
        chosen_unit=unit,
        chosen_by=actor,
        chosen_at=timezone.now(),
    )


# --- training ----------------------------------------------------------------------------


def training_set() -> tuple[list[str], list[str]]:
    """Title and account of closed cases, for the categories with enough of them."""
    rows = list(
        Case.objects.filter(status__in=LEARN_FROM, category__is_active=True)
        .values_list("title", "description", "category__code")
        .order_by("-received_at")[:50_000]
    )
    per_category: dict[str, int] = defaultdict(int)
    for _title, _description, code in rows:
        per_category[code] += 1
    kept = [row for row in rows if per_category[row[2]] >= MIN_PER_CATEGORY]
    return [f"{t}\n{d}" for t, d, _code in kept], [code for _t, _d, code in kept]


def train_from_cases() -> TrainingRun:
    """Train on the closed cases and replace the model file; say why when it cannot."""
    began = time.monotonic()
    texts, labels = training_set()
    run = TrainingRun(at=timezone.now(), samples=len(texts), categories=len(set(labels)))
    if len(texts) < MIN_CASES or run.categories < 2:
        run.status = RunStatus.TOO_FEW
        run.message = _(
            "%(n)s closed cases in %(k)s categories; at least %(min)s in two or more are "
            "needed. Keyword rules go on suggesting."
        ) % {"n": len(texts), "k": run.categories, "min": MIN_CASES}
    else:
        from .model import ModelError, train

        try:
            model = train(texts, labels)
            path = model_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            model.save(partial)
            os.replace(partial, path)  # readers see the old file or the new one, never half
            run.status = RunStatus.TRAINED
        except (ModelError, OSError) as exc:
            run.status, run.message = RunStatus.FAILED, str(exc)
    run.seconds = round(time.monotonic() - began, 2)
    run.save()
    return run


# --- accuracy ----------------------------------------------------------------------------


@dataclass
class MonthAccuracy:
    month: date
    decided: int = 0
    first_right: int = 0
    top_right: int = 0
    unit_right: int = 0
    by_model: int = 0

    def _share(self, value: int) -> str:
        return f"{100 * value / self.decided:.0f}%" if self.decided else "—"

    @property
    def share_first(self) -> str:
        return self._share(self.first_right)

    @property
    def share_top(self) -> str:
        return self._share(self.top_right)

    @property
    def share_unit(self) -> str:
        return self._share(self.unit_right)


def accuracy_by_month(suggestions: QuerySet[Suggestion]) -> list[MonthAccuracy]:
    """Per month of the decision: how often the first, or any of the three, was chosen."""
    months: dict[date, MonthAccuracy] = {}
    rows = (
        suggestions.filter(chosen_at__isnull=False)
        .annotate(month=TruncMonth("chosen_at"))
        .values_list(
            "month", "source", "categories", "chosen_category__code", "unit_id", "chosen_unit_id"
        )
        .order_by()
    )
    for month, source, categories, chosen, unit_id, chosen_unit_id in rows.iterator():
        day = timezone.localtime(month).date() if hasattr(month, "tzinfo") else month
        row = months.setdefault(day, MonthAccuracy(day))
        codes = [code for code, _p in categories]
        row.decided += 1
        row.by_model += source == Source.MODEL
        row.first_right += bool(codes) and codes[0] == chosen
        row.top_right += chosen in codes
        row.unit_right += unit_id is not None and unit_id == chosen_unit_id
    return sorted(months.values(), key=lambda m: m.month, reverse=True)
