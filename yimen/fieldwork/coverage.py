"""Screening coverage (排查覆盖率): grids that reported ÷ grids in scope, for a period.

The dashboard holds it against its target (``YIMEN_TARGETS["screening_coverage"]``, 98 %).
"""

from typing import Any

from django.db.models import Count, Q

from yimen.periods import Period

from .models import CampaignGrid


def screening_coverage(user: Any, period: Period) -> tuple[int, int]:
    """``(reported, in scope)`` over the campaigns due in ``period`` — those whose last day
    falls in it — counting each grid the user serves once per campaign.

    A campaign counts in the period it is due, like a case's deadline: a campaign still
    running next period does not lower this one's figure, and a late report still counts as
    made (the campaign page shows when). ``(0, 0)`` when nothing was due.
    """
    rows = CampaignGrid.objects.for_user(user).filter(period.contains_day("campaign__ends_on"))
    counts = rows.aggregate(
        in_scope=Count("pk"), reported=Count("pk", filter=Q(reported_at__isnull=False))
    )
    return counts["reported"], counts["in_scope"]
