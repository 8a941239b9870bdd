"""Joining another report of a matter to the case that handles it, and undoing that.

A merge loses nothing. The duplicate keeps its receipt number, its events and its audit
trail. Its parties (the reporters) and its attachments move to the case it joins, and
``CaseMerge`` lists exactly which rows moved, so ``undo_merge`` can put back those rows
and no others. Each reporter keeps their own receipt and tracking code, and the tracking
page of a merged report shows the progress of the case it joined.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.org.models import Role

from .models import Attachment, Case, CaseLink, CaseMerge, Party, PartyRole, Status
from .workflow import Conflict, Invalid, NotAllowed, _claim, _event

MERGER_ROLES = (Role.DESK, Role.DIRECTOR, Role.SUPERVISOR)
# A duplicate already archived, or transferred away, is history: it is not merged.
NOT_MERGEABLE = (Status.MERGED, Status.ARCHIVED, Status.TRANSFERRED_OUT)


def may_merge(user: Any, case: Case) -> bool:
    """Front desk, director and supervisor, on cases they can see."""
    return (
        getattr(user, "role", None) in MERGER_ROLES
        and Case.objects.for_user(user).filter(pk=case.pk).exists()
    )


def _check(actor: Any, *cases: Case) -> None:
    for case in cases:
        if not may_merge(actor, case):
            raise NotAllowed(_("You may not merge or link this case."))


def reporters(case: Case) -> list[Party]:
    """Everyone who brought this matter: its applicants, the merged reports' included."""
    return [party for party in case.parties.all() if party.role == PartyRole.APPLICANT]


def merge_case(duplicate: Case, *, into: Case, actor: Any, reasons: list[str] = ()) -> CaseMerge:
    """Join ``duplicate`` to ``into``: its reporters and files move, its history stays."""
    _check(actor, duplicate, into)
    if duplicate.pk == into.pk:
        raise Invalid(_("A case cannot be merged into itself."))
    if duplicate.status in NOT_MERGEABLE:
        raise Invalid(_("This case cannot be merged: it is %(status)s.") % {
            "status": duplicate.get_status_display()
        })  # fmt: skip
    if into.status == Status.MERGED:
        raise Invalid(_("That case was itself merged into another: merge into that one."))
    with transaction.atomic():
        locked = Case.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk])
        list(locked.order_by("pk"))  # lock both rows in a fixed order
        party_ids = list(duplicate.parties.values_list("pk", flat=True))
        attachment_ids = list(duplicate.attachments.values_list("pk", flat=True))
        previous = duplicate.status
        Party.objects.filter(pk__in=party_ids).update(case=into)
        Attachment.objects.filter(pk__in=attachment_ids).update(case=into)
        merge = CaseMerge.objects.create(
            duplicate=duplicate,
            into=into,
            by=actor,
            at=timezone.now(),
            previous_status=previous,
            party_ids=party_ids,
            attachment_ids=attachment_ids,
            reasons=list(reasons),
        )
        _claim(duplicate, Status.MERGED)
        data = {
            "merge": merge.pk,
            "parties": len(party_ids),
            "attachments": len(attachment_ids),
        }
        _event(
            duplicate,
            "merged_into",
            actor,
            from_status=previous,
            public=True,
            data={**data, "into": into.pk, "into_number": into.receipt_number},
        )
        _event(
            into,
            "merged_in",
            actor,
            from_status=into.status,
            data={**data, "duplicate": duplicate.pk, "duplicate_number": duplicate.receipt_number},
        )
    return merge


def undo_merge(merge: CaseMerge, *, actor: Any) -> None:
    """Put back exactly the rows the merge moved, and the duplicate's status before it."""
    duplicate, into = merge.duplicate, merge.into
    _check(actor, into)
    if not Case.objects.for_user(actor).filter(pk=duplicate.pk).exists():
        raise NotAllowed(_("You may not merge or link this case."))
    with transaction.atomic():
        merge = CaseMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise Conflict(_("This merge was already undone."))
        Party.objects.filter(pk__in=merge.party_ids, case=into).update(case=duplicate)
        Attachment.objects.filter(pk__in=merge.attachment_ids, case=into).update(case=duplicate)
        merge.undone_at, merge.undone_by = timezone.now(), actor
        merge.save(update_fields=["undone_at", "undone_by"])
        duplicate.refresh_from_db()
        _claim(duplicate, merge.previous_status)
        data = {"merge": merge.pk}
        _event(
            duplicate,
            "merge_undone",
            actor,
            from_status=Status.MERGED,
            public=True,
            data={**data, "into": into.pk, "into_number": into.receipt_number},
        )
        _event(
            into,
            "merge_undone",
            actor,
            from_status=into.status,
            data={**data, "duplicate": duplicate.pk, "duplicate_number": duplicate.receipt_number},
        )


def active_merge(case: Case) -> CaseMerge | None:
    """The merge that joined this case to another, while it stands."""
    return (
        CaseMerge.objects.filter(duplicate=case, undone_at__isnull=True)
        .select_related("into")
        .first()
    )


def link_related(case: Case, other: Case, *, actor: Any, reasons: list[str] = ()) -> CaseLink:
    """Mark two matters as related; both pages show the link. Linking twice is harmless."""
    _check(actor, case, other)
    if case.pk == other.pk:
        raise Invalid(_("A case cannot be related to itself."))
    first, second = sorted([case, other], key=lambda c: c.pk)
    with transaction.atomic():
        link, created = CaseLink.objects.get_or_create(
            case=first,
            other=second,
            defaults={"by": actor, "at": timezone.now(), "reasons": list(reasons)},
        )
        if created:
            for one, two in ((first, second), (second, first)):
                _event(
                    one,
                    "linked",
                    actor,
                    from_status=one.status,
                    data={"other": two.pk, "other_number": two.receipt_number},
                )
    return link


def related_cases(case: Case, user: Any) -> list[Case]:
    """Cases linked to this one that the user may see."""
    ids = {
        *CaseLink.objects.filter(case=case).values_list("other_id", flat=True),
        *CaseLink.objects.filter(other=case).values_list("case_id", flat=True),
    }
    return list(Case.objects.for_user(user).filter(pk__in=ids).order_by("-received_at"))
