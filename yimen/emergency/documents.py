"""The report to the district (突发事件信息报告) as a PDF: the first report's fields plus the
actions so far, on the same form as the center's other slips (``yimen.pdf``)."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from yimen.cases.privacy import mask_phone
from yimen.pdf import SUB, TITLE, build, facts_table, paragraph, signature_table

from .models import Incident


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def district_report_pdf(incident: Incident, *, author) -> bytes:
    """What the district must know: when, where, what, how grave, what was done, what is
    needed, and who to call back — the reporter's number masked, the center's in full."""
    actions = [
        f"{_when(event.at)} {event.note}"
        for event in incident.events.exclude(action="received").order_by("at", "id")
        if event.note
    ]
    rows = [
        (_("Incident number"), incident.number),
        (_("Type of incident"), incident.get_incident_type_display()),
        (_("Response level"), incident.get_level_display() or _("not graded yet")),
        (_("Happened at"), _when(incident.occurred_at)),
        (_("Received at"), _when(incident.received_at)),
        (_("Where"), f"{incident.jurisdiction.name} {incident.address}".strip()),
        (_("What is happening"), incident.situation),
        (_("Brief account"), incident.account or "—"),
        (_("Preliminary assessment of severity and impact"), incident.assessment or "—"),
        (_("Measures already taken"), incident.measures or "—"),
        (_("Support needed"), incident.support_needed or "—"),
        (_("Actions so far"), "\n".join(actions) or "—"),
        (
            _("Reported by"),
            f"{incident.reporter_name or incident.received_by} "
            f"{mask_phone(incident.reporter_contact)}".strip(),
        ),
    ]
    signature = signature_table(
        [(_("Reported by (center): %(name)s") % {"name": author},
          _("Time: %(time)s") % {"time": _when(timezone.now())})]
    )  # fmt: skip
    return build(
        [
            paragraph(str(settings.YIMEN_CENTER_NAME), SUB),
            paragraph(_("Emergency incident report"), TITLE),
            paragraph(_("No. %(number)s") % {"number": incident.number}, SUB),
            Spacer(1, 6 * mm),
            facts_table(rows),
            Spacer(1, 8 * mm),
            signature,
        ],
        title=f"{incident.number}",
        author=author,
    )
