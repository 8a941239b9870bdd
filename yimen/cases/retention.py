"""保存期限: after the retention period, a closed case's parties become anonymous.

DESIGN.md §1 promises residents that their personal data is kept only as long as needed.
When a case has been closed (or transferred out, or archived) for longer than the
retention period of its category, its parties' names, phone and ID numbers are erased in
place: the party rows stay, with their role, so the case, its timeline and every statistic
remain exactly as they were. The sweep runs this daily; it is idempotent.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from yimen.audit.services import record

from .models import Category, Party, Status

ENDED = (Status.CLOSED, Status.TRANSFERRED_OUT, Status.ARCHIVED)
ANONYMOUS = "（已匿名）"


def retention_days(category_code: str) -> int:
    by_category = settings.YIMEN_RETENTION_DAYS_BY_CATEGORY
    return int(by_category.get(category_code, settings.YIMEN_RETENTION_DAYS))


def due_for_anonymisation(now: datetime) -> QuerySet[Party]:
    """Parties still named in cases ended longer ago than their category's period."""
    ended_before = Q()
    for code in Category.objects.values_list("code", flat=True):
        cutoff = now - timedelta(days=retention_days(code))
        ended_before |= Q(case__category__code=code, case__closed_at__lt=cutoff)
    return Party.objects.filter(ended_before, case__status__in=ENDED, anonymised_at__isnull=True)


@transaction.atomic
def anonymise_expired(now: datetime | None = None) -> int:
    """Erase the expired parties' names and numbers; one audit event for the batch."""
    now = now or timezone.now()
    due = due_for_anonymisation(now)
    ids = list(due.values_list("pk", flat=True)[:10000])
    count = Party.objects.filter(pk__in=ids, anonymised_at__isnull=True).update(
        name=ANONYMOUS, phone="", id_number="", anonymised_at=now
    )
    if count:
        cases = sorted(set(Party.objects.filter(pk__in=ids).values_list("case_id", flat=True)))
        record("privacy.parties.anonymised", object_type="cases.party",
               changes={"parties": count, "cases": cases})  # fmt: skip
    return count
