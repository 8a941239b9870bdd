"""The mediation's printable documents, as PDF, laid out like the paper forms.

- the agreement (人民调解协议书): stored as a file when signed, a marked draft before;
- the judicial confirmation application (司法确认申请书) prepared from a signed agreement;
- the referral note given to the parties when mediation ends without agreement.

They are legal documents of the jurisdiction, so they are set in the site's language
(``LANGUAGE_CODE``), whoever prints them. Parties appear by name and role only: no phone,
ID number or any other personal detail is printed. Font, styles and page: ``yimen.pdf``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.shapes import Circle, Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from yimen.cases.models import PartyRole
from yimen.pdf import BODY, FONT, LABEL, SUB, TITLE, build, facts_table, paragraph

from .models import AgreementDocument, JudicialConfirmation, Mediation, NextPath, Outcome

HEADING = ParagraphStyle("heading", parent=BODY, fontSize=12.5, leading=20, spaceBefore=6)
NUMBER = ParagraphStyle("number", parent=BODY, fontSize=10.5, alignment=TA_RIGHT)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=9.5, leading=14)
DRAFT = ParagraphStyle("draft", parent=SUB, textColor=colors.HexColor("#b3261e"))
TERM = ParagraphStyle("term", parent=BODY, leftIndent=7 * mm, firstLineIndent=-7 * mm)
WIDTH = 170 * mm


@contextmanager
def _document_language() -> Iterator[None]:
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _day(value: datetime | date | None) -> str:
    """A date as the paper forms write it (2026年10月8日 in Chinese)."""
    if value is None:
        return _("____ year __ month __ day")
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def _role(role: str) -> str:
    return str(PartyRole(role).label) if role in PartyRole.values else role


def _parties_table(parties: list[dict[str, str]]) -> Table:
    rows = [[paragraph(pgettext("in a dispute", "Role"), LABEL), paragraph(_("full name"), LABEL)]]
    rows += [[paragraph(_role(p["role"]), LABEL), paragraph(p["name"])] for p in parties]
    table = Table(rows, colWidths=[40 * mm, 130 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _seal(label: str) -> Drawing:
    """Where the committee's seal goes: a dashed circle, as on the printed form."""
    drawing = Drawing(40 * mm, 40 * mm)
    drawing.add(
        Circle(
            20 * mm,
            20 * mm,
            17 * mm,
            strokeColor=colors.grey,
            strokeDashArray=[3, 3],
            fillColor=None,
        )
    )
    drawing.add(
        String(
            20 * mm,
            19 * mm,
            label,
            fontName=FONT,
            fontSize=9,
            textAnchor="middle",
            fillColor=colors.grey,
        )
    )
    return drawing


def _signatures(left: list[Flowable], right: list[Flowable]) -> Table:
    table = Table([[left, right]], colWidths=[WIDTH / 2, WIDTH / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _mediator_names(mediation: Mediation) -> list[str]:
    names = {m.pk: m.name for m in mediation.mediators.all()}
    for session in mediation.sessions.filter(recorded_at__isnull=False).prefetch_related(
        "mediators"
    ):
        names.update({m.pk: m.name for m in session.mediators.all()})
    return list(names.values())


# --- the agreement ---------------------------------------------------------------------------


def agreement_pdf(agreement: AgreementDocument) -> bytes:
    """人民调解协议书, as the parties sign it; a draft carries a mark and no number."""
    with _document_language():
        return _agreement_pdf(agreement)


def _agreement_pdf(agreement: AgreementDocument) -> bytes:
    mediation = agreement.mediation
    committee = mediation.committee
    parties = agreement.parties or [
        {"name": p.name, "role": p.role} for p in mediation.case.parties.all()
    ]
    number = agreement.number or _("(numbered at signing)")
    story: list[Flowable] = [
        paragraph(committee.name, SUB),
        paragraph(_("People's mediation agreement"), TITLE),
        paragraph(_("No. %(number)s") % {"number": number}, NUMBER),
    ]
    if not agreement.is_signed:
        story.append(paragraph(_("DRAFT — not signed, not valid"), DRAFT))
    story += [
        Spacer(1, 3 * mm),
        paragraph(_("Parties"), HEADING),
        _parties_table(parties),
        paragraph(_("Main facts of the dispute and the matters in dispute"), HEADING),
        paragraph(agreement.dispute_summary),
        paragraph(
            _("Through mediation, the parties agree of their own free will as follows:"), HEADING
        ),
    ]
    story += [
        paragraph(f"{index}. {line}", TERM) for index, line in enumerate(agreement.term_lines, 1)
    ]
    performance = agreement.performance_method or "—"
    if agreement.performance_deadline:
        performance += "\n" + _("To be performed by %(date)s.") % {
            "date": _day(agreement.performance_deadline)
        }
    story += [paragraph(_("How and by when it is performed"), HEADING), paragraph(performance)]
    if agreement.amount is not None:
        story.append(
            paragraph(
                _("Amount involved: %(amount)s yuan")
                % {"amount": formats.number_format(agreement.amount, 2)}
            )
        )
    if agreement.is_partial:
        story += [
            paragraph(_("Matters not agreed"), HEADING),
            paragraph(agreement.unresolved),
        ]
    notes = [
        _("This agreement takes effect when the parties have signed it, the mediators have "
          "signed it and the committee has sealed it. It is legally binding, and the parties "
          "shall perform it as agreed."),
        _("Within 30 days of its taking effect, the parties may jointly apply to the people's "
          "court for judicial confirmation of this agreement."),
        _("If a dispute arises over the performance or the content of this agreement, a party "
          "may bring it to the people's court."),
    ]  # fmt: skip
    if mediation.rights_notice_given_at:
        notes.append(
            _("On %(date)s %(name)s told the parties that mediation is voluntary and does not "
              "limit their right to go to the people's court.")
            % {
                "date": _day(mediation.rights_notice_given_at),
                "name": mediation.rights_notice_given_by,
            }
        )  # fmt: skip
    notes.append(
        _(
            "This agreement is made in %(n)d copies: one for each party and one kept by the "
            "committee."
        )
        % {"n": len(parties) + 1}
    )
    story += [Spacer(1, 3 * mm), *(paragraph(note, SMALL) for note in notes), Spacer(1, 8 * mm)]

    left = [paragraph(_("Parties (signature):"))]
    left += [paragraph(f"{_role(p['role'])} {p['name']}：____________") for p in parties]
    left += [Spacer(1, 4 * mm), paragraph(_("Mediators (signature):"))]
    left += [paragraph(f"{name}：____________") for name in _mediator_names(mediation)]
    right = [
        paragraph(committee.name),
        paragraph(_("(committee seal)")),
        _seal(_("seal")),
        paragraph(_day(agreement.signed_at)),
    ]
    story.append(KeepTogether([_signatures(left, right)]))
    title = " ".join([_("People's mediation agreement"), agreement.number]).strip()
    return build(story, title=title, author=committee.name)


# --- judicial confirmation ---------------------------------------------------------------------


def judicial_confirmation_pdf(item: JudicialConfirmation) -> bytes:
    with _document_language():
        return _judicial_confirmation_pdf(item)


def _judicial_confirmation_pdf(item: JudicialConfirmation) -> bytes:
    agreement = item.agreement
    mediation = agreement.mediation
    committee = mediation.committee
    signed = _day(agreement.signed_at)
    last_day = _day(timezone.localtime(agreement.signed_at).date() + timedelta(days=30))
    applicants = "；".join(f"{p['name']}（{_role(p['role'])}）" for p in agreement.parties)
    story: list[Flowable] = [
        paragraph(
            _("Application for judicial confirmation of a people's mediation agreement"), TITLE
        ),
        Spacer(1, 4 * mm),
        paragraph(_("To: %(court)s") % {"court": item.court}, HEADING),
        facts_table(
            [
                (_("Applicants"), applicants),
                (
                    _("Request"),
                    _(
                        "To confirm as valid the people's mediation agreement No. %(number)s, "
                        "reached on %(date)s through the mediation of %(committee)s."
                    )
                    % {"number": agreement.number, "date": signed, "committee": committee.name},
                ),
                (
                    _("Facts and reasons"),
                    _(
                        "The applicants' dispute (%(dispute)s) was mediated by %(committee)s, and "
                        "on %(date)s they reached the agreement attached of their own free will. "
                        "It expresses their true intent, does not break any mandatory provision "
                        "of law or administrative regulation, and harms neither the state, the "
                        "public interest nor anyone else's lawful rights. The applicants apply "
                        "jointly for its judicial confirmation."
                    )
                    % {
                        "dispute": agreement.dispute_summary,
                        "committee": committee.name,
                        "date": signed,
                    },
                ),
                (
                    _("Undertaking"),
                    _(
                        "The applicants apply in order to settle the dispute; what they state is "
                        "true, and they bear the legal responsibility if it is not."
                    ),
                ),
                (
                    _("Attachments"),
                    _(
                        "1. The people's mediation agreement No. %(number)s\n2. The applicants' "
                        "proof of identity (supplied by the applicants)\n3. Material relating to "
                        "the agreement"
                    )
                    % {"number": agreement.number},
                ),
            ]
        ),  # fmt: skip
        Spacer(1, 3 * mm),
        paragraph(
            _(
                "The parties file this application jointly, in person, within 30 days of the "
                "agreement taking effect (by %(date)s)."
            )
            % {"date": last_day},
            SMALL,
        ),  # fmt: skip
        paragraph(
            _("Prepared by %(committee)s on %(date)s.")
            % {"committee": committee.name, "date": _day(item.prepared_at)},
            SMALL,
        ),
        Spacer(1, 10 * mm),
    ]
    left = [paragraph(_("Applicants (signature):"))]
    left += [paragraph(f"{p['name']}：____________") for p in agreement.parties]
    right = [paragraph(_("Date: %(date)s") % {"date": _day(None)})]
    story.append(KeepTogether([_signatures(left, right)]))
    return build(story, title=_("Application for judicial confirmation"), author=committee.name)


# --- referral note -----------------------------------------------------------------------------


def referral_note_pdf(mediation: Mediation) -> bytes:
    with _document_language():
        return _referral_note_pdf(mediation)


def _referral_note_pdf(mediation: Mediation) -> bytes:
    from .services import RIGHT_TO_SUE

    case = mediation.case
    committee = mediation.committee
    parties = "；".join(f"{p.name}（{p.get_role_display()}）" for p in case.parties.all())
    outcome = Outcome(mediation.outcome).label if mediation.outcome else ""
    rows = [
        (_("Mediation number"), mediation.number),
        (_("Matter"), f"{case.receipt_number} {case.title}"),
        (_("Parties"), parties or "—"),
        (
            _("Outcome of mediation"),
            f"{outcome}：{mediation.outcome_reason}" if mediation.outcome_reason else outcome,
        ),
        (_("Your right"), str(RIGHT_TO_SUE)),
        (_("The path you chose"), f"{NextPath(mediation.next_path).label} — {mediation.next_body}"),
    ]
    if mediation.next_path_note:
        rows.append((_("Note"), mediation.next_path_note))
    story: list[Flowable] = [
        paragraph(committee.name, SUB),
        paragraph(_("Referral note"), TITLE),
        paragraph(_("No. %(number)s") % {"number": mediation.number}, NUMBER),
        Spacer(1, 4 * mm),
        facts_table(rows),
        Spacer(1, 4 * mm),
        paragraph(
            _(
                "Bring this note and your material to %(body)s. The committee's records of the "
                "mediation may be requested from it."
            )
            % {"body": mediation.next_body},
            SMALL,
        ),  # fmt: skip
        Spacer(1, 10 * mm),
    ]
    right = [
        paragraph(committee.name),
        paragraph(_("(committee seal)")),
        _seal(_("seal")),
        paragraph(_day(mediation.concluded_at)),
    ]
    left = [paragraph(_("Mediator (signature): ____________"))]
    story.append(KeepTogether([_signatures(left, right)]))
    return build(story, title=_("Referral note"), author=committee.name)
