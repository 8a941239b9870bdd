"""The rules of public safety as plain functions: who may do what, when a place is due for
inspection, when a rectification is due and overdue, and how a hazard's status may move.

Pages, services, the sweep and the tests share them, so a rule is written once.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings

from yimen.org.models import Jurisdiction, Role, UnitKind
from yimen.org.permissions import has_role
from yimen.workdays.calendar import Deadline, WorkCalendar, add_working_days

from .models import OUTSTANDING, HazardStatus

# --- who may do what ------------------------------------------------------------------------


def in_safety_unit(user: Any) -> bool:
    """Staff of a work-safety office (安监办), whatever their role."""
    if not (getattr(user, "unit_id", None) and user.is_active):
        return False
    return user.unit.kind == UnitKind.SAFETY


def sees(user: Any, jurisdiction: Jurisdiction) -> bool:
    path = getattr(user, "visible_path", None)
    return bool(path) and jurisdiction.path.startswith(path)


def may_manage_places(user: Any) -> bool:
    """The register is kept by the director, administrators and the safety office; every
    other staff member (a grid worker…) reads it."""
    return has_role(user, Role.DIRECTOR, Role.ADMIN) or in_safety_unit(user)


def may_inspect(user: Any) -> bool:
    """Those who keep the register inspect, and so do grid workers on their rounds."""
    return may_manage_places(user) or has_role(user, Role.GRID)


def may_edit_checklists(user: Any) -> bool:
    """The checklists are the same for every place of a type: only the director and
    administrators change them."""
    return has_role(user, Role.DIRECTOR, Role.ADMIN)


def may_record_rectification(user: Any) -> bool:
    """The organisation fixes; an inspector records what it did (it has no account)."""
    return may_inspect(user)


def may_sign_off(user: Any) -> bool:
    """Only the safety office re-inspects and signs a rectification off."""
    return in_safety_unit(user)


def may_reassign(user: Any) -> bool:
    return may_manage_places(user)


# --- inspections -------------------------------------------------------------------------------


def inspection_due_on(last_inspected_on: date | None, every_days: int) -> date | None:
    """The next inspection's day; None for a place never inspected (due at once)."""
    if last_inspected_on is None:
        return None
    return last_inspected_on + timedelta(days=every_days)


def is_inspection_due(due_on: date | None, today: date) -> bool:
    """Due when the day has come, or when the place was never inspected."""
    return due_on is None or due_on <= today


# --- rectification -------------------------------------------------------------------------


def rectify_days() -> int:
    return settings.YIMEN_HAZARD_RECTIFY_WORKING_DAYS


def rectify_deadline(found_on: date, calendar: WorkCalendar, days: int | None = None) -> Deadline:
    """整改期限: ``YIMEN_HAZARD_RECTIFY_WORKING_DAYS`` working days after the day it was found,
    counted like a case's deadline (the day itself never counts)."""
    return add_working_days(found_on, rectify_days() if days is None else days, calendar)


def is_overdue(status: str, deadline: date, today: date) -> bool:
    """Past its deadline and not signed off: an open hazard, or a fix not yet re-inspected."""
    return status in OUTSTANDING and today > deadline


# Each status and where it may go: the organisation's fix is recorded, then the safety
# office re-inspects — signed off if it holds, open again if not.
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    HazardStatus.OPEN: (HazardStatus.RECTIFIED,),
    HazardStatus.RECTIFIED: (HazardStatus.SIGNED_OFF, HazardStatus.OPEN),
    HazardStatus.SIGNED_OFF: (),
}


def may_move(current: str, target: str) -> bool:
    return target in NEXT_STATUS.get(current, ())
