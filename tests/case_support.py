"""A case registered through the workflow, then dated and put in a state in the table.

Tests of figures, agendas and reports read rows: they need cases received on given days
and standing in given states, which the workflow cannot backdate. The case is registered
for real (receipt number, party, timeline), then its stored fields are set straight, and
the dashboard's roll-up is told (as after any write that bypasses the workflow).
"""

from datetime import datetime
from typing import Any

from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category
from yimen.dashboard.rollups import sync


def case_as_of(w: Any, label: str, *, place: Any, category: str, received: datetime,
               registered: dict[str, Any] | None = None, **stored: Any) -> Case:  # fmt: skip
    """Registered by the desk of ``place``'s community with ``registered`` extras (address,
    urgency…), then ``received_at`` and the ``stored`` fields written to the row."""
    desk = w.desk_b if place in (w.community_b, w.grid_b1) else w.desk
    made = wf.register_case(
        actor=desk, title=label, description=label, category=Category.objects.get(code=category),
        channel="visit", jurisdiction=place,
        parties=[wf.NewParty("王芳", "applicant", "13812345678")], **(registered or {}),
    ).case  # fmt: skip
    Case.objects.filter(pk=made.pk).update(received_at=received, **stored)
    sync([made.pk])
    made.refresh_from_db()
    return made
