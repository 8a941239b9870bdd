"""What pages, exports and the API show about a case's deadline and its parties."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy

from yimen.workdays.calendar import WorkCalendar
from yimen.workdays.services import load_calendar

from .deadlines import is_overdue, working_days_left
from .models import Case, Party
from .privacy import mask_id_number, mask_phone
from .workflow import OPEN


@dataclass(frozen=True)
class TimeLeft:
    deadline: date | None
    working_days: int | None  # None when there is no running deadline
    overdue: bool
    provisional: bool


def time_left(case: Case, today: date, calendar: WorkCalendar) -> TimeLeft:
    running = case.deadline is not None and case.status in OPEN
    return TimeLeft(
        deadline=case.deadline,
        working_days=working_days_left(case.deadline, today, calendar) if running else None,
        overdue=running and is_overdue(case.deadline, today),
        provisional=case.deadline_provisional,
    )


def with_time_left(cases: Iterable[Case], today: date | None = None) -> list[Case]:
    """Set ``case.time_left`` on each case, reading the calendar once for the whole page."""
    cases = list(cases)
    today = today or timezone.localdate()
    deadlines = [c.deadline for c in cases if c.deadline]
    start = min([today, *deadlines])
    end = max([today, *deadlines])
    calendar = load_calendar(start, end)
    for case in cases:
        case.time_left = time_left(case, today, calendar)
    return cases


def masked_party(party: Party) -> dict[str, str]:
    """A party as lists show it: name and role, phone and ID number masked."""
    return {
        "name": party.name,
        "role": party.role,
        "role_label": party.get_role_display(),
        "phone": mask_phone(party.phone),
        "id_number": mask_id_number(party.id_number),
    }


# Timeline entries by action code, as staff, residents and Open311 clients read them.
EVENT_LABELS = {
    "registered": gettext_lazy("Registered"),
    "closed_on_the_spot": gettext_lazy("Settled on the spot"),
    "routed": gettext_lazy("Assigned"),
    "accepted": gettext_lazy("Accepted"),
    "returned": gettext_lazy("Returned"),
    "action": gettext_lazy("Action"),
    "extension_requested": gettext_lazy("Extension requested"),
    "extension_approved": gettext_lazy("Extension approved"),
    "extension_refused": gettext_lazy("Extension refused"),
    "resolved": gettext_lazy("Result submitted"),
    "escalated": gettext_lazy("Escalated"),
    "transferred_out": gettext_lazy("Transferred out"),
    "closed": gettext_lazy("Closed"),
    "followed_up": gettext_lazy("Followed up"),
    "reopened": gettext_lazy("Re-handling ordered"),
    "reopened_after_follow_up": gettext_lazy("Reopened after follow-up"),
    "attached": gettext_lazy("Material added"),
    "public_note": gettext_lazy("Note from the resident"),
    "archived": gettext_lazy("Archived"),
    "deadline_recomputed": gettext_lazy("Deadline recounted with the published holidays"),
    "flagged_urgent": gettext_lazy("Reported as urgent"),
    "reopened_agreement_broken": gettext_lazy("Reopened: mediation agreement broken"),
    "merged_into": gettext_lazy("Joined to another case reporting the same matter"),
    "merged_in": gettext_lazy("Another report of this matter joined"),
    "merge_undone": gettext_lazy("Merge undone"),
    "linked": gettext_lazy("Marked as related"),
    # Written on the case's timeline by yimen.supervision.
    "reminder_issued": gettext_lazy("Reminder slip issued"),
    "reminder_signed": gettext_lazy("Reminder slip signed and sent"),
    "reminder_replied": gettext_lazy("Reminder slip replied to"),
    "listed_for_supervision": gettext_lazy("Listed for named supervision"),
    "progress_requested": gettext_lazy("Progress report requested"),
    "progress_reported": gettext_lazy("Progress reported"),
    "progress_report_missing": gettext_lazy("Progress report missing"),
    "supervision_closed": gettext_lazy("Named supervision closed"),
    # Written on the case's timeline by yimen.mediation.
    "mediation_opened": gettext_lazy("Mediation opened"),
    "mediation_consent": gettext_lazy("Consent to mediation recorded"),
    "mediation_rights_notice": gettext_lazy("Told of the right to go to court"),
    "mediation_mediators": gettext_lazy("Mediators assigned"),
    "mediation_recusal": gettext_lazy("Mediator recused"),
    "mediation_session_scheduled": gettext_lazy("Mediation session scheduled"),
    "mediation_session": gettext_lazy("Mediation session"),
    "mediation_agreement_drafted": gettext_lazy("Mediation agreement drafted"),
    "mediation_agreement_signed": gettext_lazy("Mediation agreement signed"),
    "mediation_judicial_confirmation": gettext_lazy("Judicial confirmation application prepared"),
    "mediation_concluded": gettext_lazy("Mediation ended"),
    "mediation_follow_up_visit": gettext_lazy("Follow-up visit"),
    "rated_by_resident": gettext_lazy("Rated by the resident"),
    "rehandling_requested": gettext_lazy("Re-handling requested by the resident"),
}
