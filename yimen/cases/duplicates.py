"""Matters that are likely the same as a new report, and why.

Many neighbours report the same broken streetlight. A new report is compared with the open
and recent matters around it on three grounds: the same place (a map point within
``RADIUS_M``, the same address, or the same building named in the text), the same parties
(an exact phone match on the sealed numbers) and similar text (character bigrams, which
need no word list and tolerate paraphrase). Broken streetlights are reported all over a
township in the same words, so a place that differs rules a match out, text alone must
be very close, and a shared place or party lets weaker text count; the other way round,
neighbours in one building bring different matters too, so a place alone is only a
reason to show, never a likely duplicate.

``likeness`` is a pure function, so its precision and recall can be measured
(``bench/duplicates_eval.py``); ``find_similar`` fetches the candidates a user may see.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Case, Party, Status

RADIUS_M = 150
WINDOW = timedelta(days=60)  # closed matters older than this are no longer "recent"
TEXT_ALONE = 0.9  # similarity at which the text alone makes a likely duplicate
TEXT_WITH_PLACE = 0.25  # enough when the place or a party is the same too
TEXT_SHOWN = 0.2  # below this, similar text is not worth mentioning
CANDIDATES = 300  # recent matters nearby compared by text, newest first
TEXT_CHARS = 2000  # a 20,000-character account is compared by its beginning

REASONS = {
    "text": _("similar text"),
    "place": _("same place"),
    "address": _("same address"),
    "building": _("same building named"),
    "party": _("same party's phone"),
}

_WORD = re.compile(r"[\w\u4e00-\u9fff]+")
# A building, entrance or house number named in the text or the address, with the estate
# before it when there is one: "桂花小区3号楼" → ("小区", "3号楼"), "12栋" → ("", "12栋").
_MARK = re.compile(r"(小区|花园|新村|家园|公寓|大厦|苑|村)?\s*(\d+)\s*(号楼|栋|幢|单元|号院|号)")
_ONLY_OPEN = (
    Status.REGISTERED,
    Status.ROUTED,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.EXTENDED,
    Status.RETURNED,
    Status.ESCALATED,
    Status.REOPENED,
)


@dataclass(frozen=True)
class Matter:
    """What is compared: a new report before it is registered, or a case."""

    title: str
    description: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    phones: frozenset[str] = frozenset()

    @classmethod
    def of(cls, case: Case, phones: Iterable[str] = ()) -> "Matter":
        return cls(
            case.title,
            case.description,
            case.address,
            _float(case.latitude),
            _float(case.longitude),
            frozenset(phones),
        )


@dataclass
class Likeness:
    likely: bool
    score: float
    text: float
    distance_m: float | None
    reasons: list[str] = field(default_factory=list)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[code]) for code in self.reasons]


@dataclass
class Similar:
    case: Case
    likeness: Likeness


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of each run of letters, digits or Chinese characters."""
    grams: Counter[str] = Counter()
    for run in _WORD.findall(text[:TEXT_CHARS].lower()):
        if len(run) == 1:
            grams[run] += 1
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[gram] for gram, count in a.items() if gram in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm


def _without_places(text: str) -> str:
    return _MARK.sub(" ", text)


def text_similarity(a: Matter, b: Matter) -> float:
    """The better of the titles' and the whole texts' similarity, places left out.

    Two residents rarely word a title alike, but when they do it is a strong sign; the
    whole text catches the rest. Building numbers are compared as places, not as words.
    """
    titles = cosine(bigrams(_without_places(a.title)), bigrams(_without_places(b.title)))
    whole = cosine(
        bigrams(_without_places(f"{a.title} {a.description}")),
        bigrams(_without_places(f"{b.title} {b.description}")),
    )
    return max(whole, 0.8 * titles)


def distance_m(a: Matter, b: Matter) -> float | None:
    """Great-circle distance between two map points, or None without both points."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _address_key(address: str) -> str:
    return "".join(_WORD.findall(address.lower()))


def marks(matter: Matter) -> frozenset[tuple[str, str]]:
    """Buildings and house numbers named in the address, the title or the account."""
    text = f"{matter.address} {matter.title} {matter.description[:TEXT_CHARS]}"
    return frozenset((estate, number + unit) for estate, number, unit in _MARK.findall(text))


def _same_building(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> bool:
    """One number in both, and no two different estates named with it."""
    return any(
        number == other and (not estate or not other_estate or estate == other_estate)
        for estate, number in a
        for other_estate, other in b
    )


def likeness(new: Matter, old: Matter) -> Likeness:
    """Whether ``old`` is likely the same matter as ``new``, with a score and the reasons."""
    text = text_similarity(new, old)
    distance = distance_m(new, old)
    reasons = []
    if text >= TEXT_SHOWN:
        reasons.append("text")
    if distance is not None and distance <= RADIUS_M:
        reasons.append("place")
    address, old_address = _address_key(new.address), _address_key(old.address)
    if address and address == old_address:
        reasons.append("address")
    new_marks, old_marks = marks(new), marks(old)
    same_building = _same_building(new_marks, old_marks)
    if same_building and "address" not in reasons:
        reasons.append("building")
    if new.phones & old.phones:
        reasons.append("party")
    elsewhere = (
        (distance is not None and distance > 2 * RADIUS_M)
        or (address and old_address and address != old_address)
        or (new_marks and old_marks and not same_building)
    )
    backed = bool({"place", "address", "building", "party"} & set(reasons))
    likely = not elsewhere and (text >= TEXT_ALONE or (backed and text >= TEXT_WITH_PLACE))
    score = text + 0.15 * backed + (0.05 if "party" in reasons else 0.0) - 0.5 * bool(elsewhere)
    return Likeness(likely, round(score, 3), round(text, 3), distance, reasons)


def _box(matter: Matter) -> Q:
    """A latitude/longitude box around the point, a little wider than the radius."""
    dlat = RADIUS_M / 111_000 * 1.2
    dlon = dlat / max(math.cos(math.radians(matter.latitude)), 0.01)
    return Q(
        latitude__range=(matter.latitude - dlat, matter.latitude + dlat),
        longitude__range=(matter.longitude - dlon, matter.longitude + dlon),
    )


def candidates(cases: QuerySet[Case], matter: Matter, *, near_path: str, now: datetime) -> Any:
    """Open and recent cases that could be the same: same party, place, or nearby and new.

    ``cases`` is already scoped to the user; ``near_path`` is the subtree whose newest
    matters are compared by text (the report's community).
    """
    pool = cases.exclude(status=Status.MERGED).filter(
        Q(status__in=_ONLY_OPEN) | Q(received_at__gte=now - WINDOW)
    )
    found: dict[int, Case] = {}

    def take(queryset: QuerySet[Case]) -> None:
        for case in queryset.select_related("category", "jurisdiction", "lead_unit"):
            found.setdefault(case.pk, case)

    if matter.phones:
        by_party = Party.objects.filter(phone__in=sorted(matter.phones)).values("case_id")
        take(pool.filter(pk__in=by_party)[:50])
    if matter.latitude is not None and matter.longitude is not None:
        take(pool.filter(_box(matter))[:100])
    if _address_key(matter.address):
        take(pool.filter(address=matter.address.strip())[:50])
    take(
        pool.filter(jurisdiction__path__startswith=near_path).order_by("-received_at")[:CANDIDATES]
    )
    return found.values()


def find_similar(
    cases: QuerySet[Case],
    matter: Matter,
    *,
    near_path: str,
    now: datetime,
    exclude: int | None = None,
    limit: int = 5,
) -> list[Similar]:
    """The cases most like ``matter``, best first, each with its reasons; none unrelated."""
    pool = list(candidates(cases, matter, near_path=near_path, now=now))
    phones = _phones_of([case.pk for case in pool])
    results = []
    for case in pool:
        if case.pk == exclude:
            continue
        found = likeness(matter, Matter.of(case, phones.get(case.pk, ())))
        if found.reasons:
            results.append(Similar(case, found))
    results.sort(key=lambda s: (s.likeness.likely, s.likeness.score), reverse=True)
    return results[:limit]


def _phones_of(case_ids: list[int]) -> dict[int, set[str]]:
    phones: dict[int, set[str]] = {}
    rows = Party.objects.filter(case_id__in=case_ids).exclude(phone="")
    for case_id, phone in rows.values_list("case_id", "phone"):
        phones.setdefault(case_id, set()).add(phone)
    return phones


def community_path(jurisdiction: Any) -> str:
    """The report's community: its parent's subtree for a grid, else its own."""
    parts = jurisdiction.path.strip("/").split("/")
    if getattr(jurisdiction, "level", "") == "grid" and len(parts) > 1:
        return "/" + "/".join(parts[:-1]) + "/"
    return jurisdiction.path
