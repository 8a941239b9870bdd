"""Everything done in public safety, one function each, shared by the pages, field work and
the tests.

Each function checks who may act, writes its rows in one transaction with an audit event,
and tells the safety office after commit. Refusals raise the case workflow's errors
(``Invalid`` with the field at fault, ``NotAllowed``, ``WorkflowError``), which the pages
show as messages with what was typed kept.

``report_hazard`` is the public entry point field work (patrols, screening) calls; keep its
signature.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.audit.services import record, save_with_audit
from yimen.cases.attachments import check_upload
from yimen.cases.workflow import Invalid, NotAllowed, WorkflowError, next_number
from yimen.notices.models import NoticeKind
from yimen.notices.services import notify
from yimen.org.models import Jurisdiction, Role, Unit, UnitKind, User
from yimen.org.scoping import path_and_ancestors
from yimen.portal.photos import resized_jpeg
from yimen.workdays.services import load_calendar

from . import rules
from .models import (
    OUTSTANDING,
    ChecklistItem,
    Hazard,
    HazardEvent,
    HazardStatus,
    Inspection,
    InspectionResult,
    Photo,
    PhotoStage,
    Place,
    Source,
)

# --- helpers -------------------------------------------------------------------------------


def hazard_url(hazard: Hazard) -> str:
    return reverse("safety:hazard", args=[hazard.pk])


def _required(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(message, fields={field_name: message})
    return value


def reencoded(uploads: Iterable[Any]) -> list[Any]:
    """Uploads checked by their content and re-encoded as bare JPEGs (no EXIF, no GPS).

    Done here, not only in the forms, so a caller from field work cannot store a file that
    is not a photo, nor a phone's location data; and done before any row is written, so a
    bad file refuses the whole action with nothing saved.
    """
    files = []
    for upload in uploads:
        try:
            check_upload(upload)
            if not upload.content_type.startswith("image/"):
                raise ValidationError(_("%(name)s is not a photo.") % {"name": upload.name})
            files.append(resized_jpeg(upload))
        except ValidationError as exc:
            raise Invalid(exc.messages[0], fields={"photos": exc.messages[0]}) from exc
    return files


def _store_photos(
    files: Iterable[Any], *, actor: Any, jurisdiction: Jurisdiction, stage: str = PhotoStage.FOUND,
    hazard: Hazard | None = None, result: InspectionResult | None = None,
) -> None:  # fmt: skip
    """Photos already re-encoded (``reencoded``), filed under the place's node."""
    for file in files:
        photo = Photo(jurisdiction=jurisdiction, hazard=hazard, result=result, stage=stage,
                      uploaded_by=actor)  # fmt: skip
        photo.image.save(file.name, file, save=True)


def _event(
    hazard: Hazard, action: str, actor: Any, before: str = "", note: str = "",
    changes: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """The history line and the audit event of one change to a hazard."""
    HazardEvent.objects.create(
        hazard=hazard, at=timezone.now(), by=actor, action=action, from_status=before,
        to_status=hazard.status, note=note,
    )  # fmt: skip
    if changes is None:
        changes = {"status": [before, hazard.status], "note": note}
    record(f"safety.hazard.{action}", hazard, actor=actor, changes=changes)


# --- who hears of a hazard ---------------------------------------------------------------------


def safety_unit_for(jurisdiction: Jurisdiction) -> Unit | None:
    """The work-safety office answering for a place: the nearest one at or above it."""
    return (
        Unit.objects.filter(
            kind=UnitKind.SAFETY,
            is_active=True,
            jurisdiction__path__in=path_and_ancestors(jurisdiction.path),
        )
        .order_by("-jurisdiction__path")
        .first()
    )


def safety_office_staff(jurisdiction: Jurisdiction) -> list[Any]:
    """Who is told of a hazard: the safety office's staff, or — where no safety office is
    set up — the directors at or above the place, so nothing goes unheard."""
    unit = safety_unit_for(jurisdiction)
    if unit is not None:
        people = list(unit.staff.filter(is_active=True))
        if people:
            return people
    return list(
        User.objects.filter(
            is_active=True,
            role=Role.DIRECTOR,
            jurisdiction__path__in=path_and_ancestors(jurisdiction.path),
        )
    )


def _tell_safety_office(hazards: Sequence[Hazard], actor: Any) -> None:
    """A hazard found by someone outside the safety office reaches it at once."""
    if not hazards or rules.in_safety_unit(actor):
        return
    first = hazards[0]
    if len(hazards) == 1:
        message = _("Hazard %(number)s reported: %(text)s") % {
            "number": first.number, "text": first.description[:120]}  # fmt: skip
    else:
        message = _("%(count)d hazards reported at %(place)s, e.g. %(number)s.") % {
            "count": len(hazards), "place": first.place or first.jurisdiction,
            "number": first.number}  # fmt: skip
    notify(safety_office_staff(first.jurisdiction), kind=NoticeKind.HAZARD_REPORTED,
           message=message, link=hazard_url(first))  # fmt: skip


# --- hazards ---------------------------------------------------------------------------------


@dataclass
class _NewHazard:
    jurisdiction: Jurisdiction
    description: str
    source: str
    responsible_org: str = ""
    place: Place | None = None
    latitude: Any = None
    longitude: Any = None
    result: InspectionResult | None = None
    photos: Sequence[Any] = field(default_factory=tuple)


def _create_hazard(new: _NewHazard, *, actor: Any, found_on: date, calendar: Any) -> Hazard:
    """One open hazard with its deadline, photos, first history line and audit event;
    runs inside the caller's transaction."""
    days = rules.rectify_days()
    due = rules.rectify_deadline(found_on, calendar, days)
    place = new.place
    hazard = Hazard.objects.create(
        number=next_number("YH", found_on.year),
        place=place,
        jurisdiction=new.jurisdiction,
        description=new.description,
        latitude=new.latitude if new.latitude is not None else getattr(place, "latitude", None),
        longitude=new.longitude if new.longitude is not None else getattr(place, "longitude", None),
        source=new.source,
        result=new.result,
        responsible_org=(new.responsible_org or getattr(place, "organisation", "")).strip(),
        found_on=found_on,
        working_days=days,
        deadline=due.date,
        deadline_provisional=due.provisional,
        reported_by=actor,
    )
    _store_photos(new.photos, actor=actor, jurisdiction=new.jurisdiction, hazard=hazard,
                  result=new.result)  # fmt: skip
    _event(hazard, "reported", actor, "", new.description)
    return hazard


def report_hazard(
    *,
    actor: Any,
    jurisdiction: Jurisdiction,
    description: str,
    latitude: Any = None,
    longitude: Any = None,
    place: Place | None = None,
    photos: Sequence[Any] = (),
    responsible_org: str = "",
    source: str = "patrol",
) -> Hazard:
    """Report a hazard found in the field: open, due in the default number of working days.

    The public entry point of field work (a grid worker's patrol, a screening campaign, a
    resident's report passed on). ``photos`` are uploads; each is checked by its content and
    re-encoded, and a file that is not a photo refuses the whole report (``Invalid``). The
    responsible organisation defaults to the place's; the map point to the place's.
    """
    if not rules.sees(actor, jurisdiction):
        raise NotAllowed(_("Choose a place inside your jurisdiction."))
    if place is not None:
        jurisdiction = _place_node(actor, place, jurisdiction)
    if source not in Source.values:
        raise Invalid(_("Unknown source of a hazard: %(source)s.") % {"source": source})
    description = _required(description, "description", _("Describe the hazard."))
    files = reencoded(photos)
    found_on = timezone.localdate()
    new = _NewHazard(jurisdiction, description, source, responsible_org, place, latitude,
                     longitude, photos=files)  # fmt: skip
    with transaction.atomic():
        hazard = _create_hazard(
            new, actor=actor, found_on=found_on, calendar=load_calendar(found_on)
        )
        transaction.on_commit(lambda: _tell_safety_office([hazard], actor))
    return hazard


def _place_node(actor: Any, place: Place, jurisdiction: Jurisdiction) -> Jurisdiction:
    """A hazard at a registered place is filed under the place's own node, which must lie
    inside the one named: a hazard never shows a place to those who do not serve it."""
    if not Place.objects.for_user(actor).filter(pk=place.pk).exists():
        raise NotAllowed(_("This place is outside your jurisdiction."))
    if not place.jurisdiction.path.startswith(jurisdiction.path):
        message = _("This place is not in the grid chosen.")
        raise Invalid(message, fields={"place": message})
    return place.jurisdiction


def open_hazards_geojson(user: Any) -> dict[str, Any]:
    """The hazards not yet signed off that the user may see and that have a map point, as a
    GeoJSON FeatureCollection for the grid map (field work). Overdue is the sweep's rule."""
    today = timezone.localdate()
    hazards = (
        Hazard.objects.for_user(user)
        .filter(status__in=OUTSTANDING, latitude__isnull=False, longitude__isnull=False)
        .only("pk", "number", "description", "deadline", "status", "latitude", "longitude")
        .order_by("deadline", "pk")
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(h.longitude), float(h.latitude)]},
            "properties": {
                "id": h.pk,
                "number": h.number,
                "description": h.description[:60],
                "deadline": h.deadline.isoformat(),
                "status": h.status,
                "overdue": rules.is_overdue(h.status, h.deadline, today),
                "url": hazard_url(h),
            },
        }  # fmt: skip
        for h in hazards
    ]
    return {"type": "FeatureCollection", "features": features}


# --- inspections ------------------------------------------------------------------------------


@dataclass
class ItemCheck:
    """One checklist item as the inspector found it; ``photos`` are uploads."""

    item: ChecklistItem
    passed: bool
    note: str = ""
    photos: Sequence[Any] = ()


def checklist_for(place: Place) -> list[ChecklistItem]:
    """The items in use for the place's type, in the order they are checked."""
    return list(ChecklistItem.objects.filter(place_type=place.place_type, is_active=True))


def inspection_for_key(client_key: Any) -> Inspection | None:
    """The inspection a form with this idempotency key already made, if any.

    A phone that lost its network resends the form; the second copy must find the first
    even when the checklist changed in between, so the key is read before the form is.
    """
    try:
        key = uuid.UUID(str(client_key))
    except ValueError:
        return None
    return Inspection.objects.filter(client_key=key).first()


def record_inspection(
    *, actor: Any, place: Place, checks: Sequence[ItemCheck], inspected_at: datetime | None = None,
    note: str = "", client_key: uuid.UUID | None = None,
) -> Inspection:  # fmt: skip
    """检查: the inspection, its results, and a hazard for each failed item, in one
    transaction; the place's next inspection is counted from it.

    Every item in use for the place's type is answered. A form sent twice with the same
    ``client_key`` (a phone that lost its network and resent) gives back the inspection
    already made.
    """
    if client_key and (known := inspection_for_key(client_key)):
        return known
    if not Place.objects.for_user(actor).filter(pk=place.pk).exists():
        raise NotAllowed(_("This place is outside your jurisdiction."))
    if not rules.may_inspect(actor):
        raise NotAllowed(_("Only inspectors record inspections."))
    _check_answers(place, checks)
    now = timezone.now()
    inspected_at = inspected_at or now
    if inspected_at > now:
        message = _("An inspection cannot be recorded before it is made.")
        raise Invalid(message, fields={"inspected_at": message})
    files = [reencoded(check.photos) for check in checks]
    try:
        with transaction.atomic():
            inspection, hazards = _write_inspection(
                actor, place, checks, files, inspected_at, note.strip(), client_key
            )
    except IntegrityError:
        if client_key and (known := inspection_for_key(client_key)):
            return known
        raise
    transaction.on_commit(lambda: _tell_safety_office(hazards, actor))
    return inspection


def _check_answers(place: Place, checks: Sequence[ItemCheck]) -> None:
    wanted = {item.pk for item in checklist_for(place)}
    given = [check.item.pk for check in checks]
    if not wanted:
        raise Invalid(_("There is no checklist for this type of place yet."))
    if set(given) != wanted or len(given) != len(wanted):
        raise Invalid(_("Answer every item of the checklist, once."))


def _write_inspection(
    actor: Any, place: Place, checks: Sequence[ItemCheck], files: list[list[Any]],
    inspected_at: datetime, note: str, client_key: uuid.UUID | None,
) -> tuple[Inspection, list[Hazard]]:  # fmt: skip
    day = timezone.localdate(inspected_at)
    inspection = Inspection.objects.create(
        number=next_number("AJ", day.year), client_key=client_key, place=place, inspector=actor,
        inspected_at=inspected_at, note=note,
    )  # fmt: skip
    calendar = load_calendar(day)
    hazards = []
    for check, photos in zip(checks, files, strict=True):
        result = InspectionResult.objects.create(
            inspection=inspection, item=check.item, item_text=check.item.text,
            passed=check.passed, note=check.note.strip(),
        )  # fmt: skip
        if check.passed:
            _store_photos(photos, actor=actor, jurisdiction=place.jurisdiction, result=result)
            continue
        description = f"{result.item_text}：{result.note}" if result.note else result.item_text
        new = _NewHazard(place.jurisdiction, description, Source.INSPECTION, place=place,
                         result=result, photos=photos)  # fmt: skip
        hazards.append(_create_hazard(new, actor=actor, found_on=day, calendar=calendar))
    _inspected(place, day)
    record("safety.inspection.recorded", inspection, actor=actor,
           changes={"place": place.pk, "items": len(checks), "failed": len(hazards)})  # fmt: skip
    return inspection, hazards


def _inspected(place: Place, day: date) -> None:
    """The place's last inspection and next due day move on (never back, for a late entry)."""
    locked = Place.objects.select_for_update().get(pk=place.pk)
    if locked.last_inspected_on and locked.last_inspected_on >= day:
        return
    locked.last_inspected_on = day
    locked.inspection_due_on = rules.inspection_due_on(day, locked.inspection_days)
    locked.save(update_fields=["last_inspected_on", "inspection_due_on"])


# --- rectification ------------------------------------------------------------------------------


def _locked(hazard: Hazard, actor: Any) -> Hazard:
    """The hazard's row, locked, if the actor serves its place (fails closed)."""
    hazard = Hazard.objects.select_for_update().select_related("jurisdiction").get(pk=hazard.pk)
    if not rules.sees(actor, hazard.jurisdiction):
        raise NotAllowed(_("This hazard is outside your jurisdiction."))
    return hazard


def _move(hazard: Hazard, target: str) -> str:
    if not rules.may_move(hazard.status, target):
        raise WorkflowError(
            _("A hazard that is %(now)s cannot become %(next)s.")
            % {"now": HazardStatus(hazard.status).label, "next": HazardStatus(target).label}
        )
    before, hazard.status = hazard.status, target
    return before


def record_rectification(
    hazard: Hazard, *, actor: Any, note: str, photos: Sequence[Any] = ()
) -> Hazard:
    """整改: what the responsible organisation did, as it reports it, with photos.

    The hazard waits for the safety office's re-inspection; the deadline still runs until
    it is signed off.
    """
    if not rules.may_record_rectification(actor):
        raise NotAllowed(_("Only inspectors record a rectification."))
    note = _required(note, "note", _("Say what the organisation did."))
    files = reencoded(photos)
    with transaction.atomic():
        hazard = _locked(hazard, actor)
        before = _move(hazard, HazardStatus.RECTIFIED)
        hazard.rectified_at, hazard.rectification_note = timezone.now(), note
        hazard.save(update_fields=["status", "rectified_at", "rectification_note"])
        _store_photos(files, actor=actor, jurisdiction=hazard.jurisdiction, hazard=hazard,
                      stage=PhotoStage.RECTIFIED)  # fmt: skip
        _event(hazard, "rectified", actor, before, note)
    return hazard


def reinspect(
    hazard: Hazard, *, actor: Any, passed: bool, note: str = "", photos: Sequence[Any] = ()
) -> Hazard:
    """复查: the safety office looks again. A fix that holds is signed off (销号); one that
    does not sends the hazard back to open, with what is still wrong and the same deadline
    — a failed fix buys no time."""
    if not rules.may_sign_off(actor):
        raise NotAllowed(_("Only the safety office re-inspects and signs off."))
    note = note.strip()
    if not passed:
        note = _required(note, "note", _("Say what is still wrong."))
    files = reencoded(photos)
    with transaction.atomic():
        hazard = _locked(hazard, actor)
        before = _move(hazard, HazardStatus.SIGNED_OFF if passed else HazardStatus.OPEN)
        fields = ["status"]
        if passed:
            hazard.signed_off_at, hazard.signed_off_by = timezone.now(), actor
            fields += ["signed_off_at", "signed_off_by"]
        hazard.save(update_fields=fields)
        _store_photos(files, actor=actor, jurisdiction=hazard.jurisdiction, hazard=hazard,
                      stage=PhotoStage.REINSPECTED)  # fmt: skip
        _event(hazard, "signed_off" if passed else "reopened", actor, before, note)
    return hazard


@transaction.atomic
def reassign(hazard: Hazard, *, actor: Any, responsible_org: str) -> Hazard:
    """Another organisation answers for the fix (the place's by default)."""
    if not rules.may_reassign(actor):
        raise NotAllowed(_("Only the safety office or the director changes who answers."))
    org = _required(responsible_org, "responsible_org", _("Name the responsible organisation."))
    hazard = _locked(hazard, actor)
    if hazard.status == HazardStatus.SIGNED_OFF:
        raise WorkflowError(_("This hazard is signed off."))
    before_org, hazard.responsible_org = hazard.responsible_org, org
    hazard.save(update_fields=["responsible_org"])
    _event(hazard, "reassigned", actor, hazard.status, org,
           {"responsible_org": [before_org, org]})  # fmt: skip
    return hazard


# --- the register and the checklists -----------------------------------------------------------


@transaction.atomic
def save_place(place: Place, *, actor: Any) -> Place:
    """A place added or changed; a new frequency moves the next inspection day at once."""
    if not rules.may_manage_places(actor):
        raise NotAllowed(
            _("Only the director, an administrator or the safety office edits places.")
        )
    if not rules.sees(actor, place.jurisdiction):
        raise NotAllowed(_("Choose a place inside your jurisdiction."))
    place.inspection_due_on = rules.inspection_due_on(place.last_inspected_on,
                                                      place.inspection_days)  # fmt: skip
    return save_with_audit(place, PLACE_FIELDS, actor=actor)


PLACE_FIELDS = [
    "name", "place_type", "address", "jurisdiction", "latitude", "longitude", "organisation",
    "contact_name", "contact_phone", "inspection_days", "is_active",
]  # fmt: skip


@transaction.atomic
def save_checklist(items: Iterable[ChecklistItem], *, actor: Any) -> int:
    """The items of one type's checklist, added or changed; each change is audited."""
    if not rules.may_edit_checklists(actor):
        raise NotAllowed(_("Only the director or an administrator edits the checklists."))
    saved = 0
    for item in items:
        save_with_audit(item, ["place_type", "topic", "text", "position", "is_active"], actor=actor)
        saved += 1
    return saved


# --- the deadline after a calendar change ------------------------------------------------------


def recompute_provisional_deadlines(year: int) -> int:
    """Count outstanding hazards' provisional deadlines again once ``year``'s schedule is
    loaded; each change is on the hazard's history."""
    changed = 0
    hazards = Hazard.objects.filter(
        status__in=OUTSTANDING, deadline_provisional=True, deadline__year__gte=year
    )
    for hazard in hazards:
        due = rules.rectify_deadline(hazard.found_on, load_calendar(hazard.found_on),
                                     hazard.working_days)  # fmt: skip
        with transaction.atomic():
            claimed = Hazard.objects.filter(pk=hazard.pk, deadline=hazard.deadline).update(
                deadline=due.date, deadline_provisional=due.provisional
            )
            if not claimed:
                continue  # changed meanwhile; the next schedule change picks it up
            before, hazard.deadline = hazard.deadline, due.date
            _event(hazard, "deadline_recomputed", None, hazard.status, due.date.isoformat(),
                   {"deadline": [before, due.date], "provisional": due.provisional})  # fmt: skip
        changed += 1
    return changed
