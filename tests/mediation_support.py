"""Mediation test helpers: rosters, a dispute routed to committee A, and its steps.

Times are set relative to the case's registration, which ``dispute`` moves ten days back
so that sessions can be dated between it and now. The ``mw`` fixture (conftest) gives
``cases_world`` with rosters for both community committees.
"""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category, Complexity
from yimen.mediation import services
from yimen.mediation.models import CommitteeMember

PHONE, ID_NUMBER = "13812345678", "110101199001011234"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def member(role="member", gender="male"):
    return SimpleNamespace(role=role, gender=gender)


def roster(committee, *people):
    """``(name, gender, role, account)`` rows written straight to the table (test setup)."""
    return [
        CommitteeMember.objects.create(
            committee=committee, name=name, gender=gender, role=role, account=account,
            position=position,
        )
        for position, (name, gender, role, account) in enumerate(people)
    ]  # fmt: skip


def dispute(w, *, days_ago=10):
    """A neighbour dispute routed to committee A, registered ``days_ago`` days back."""
    case = wf.register_case(
        actor=w.desk,
        title="楼上漏水",
        description="楼上卫生间漏水，浸湿了楼下的天花板。",
        category=Category.objects.get(code="neighbour"),
        channel="visit",
        jurisdiction=w.community_a,
        parties=[
            wf.NewParty("王芳", "applicant", PHONE, ID_NUMBER),
            wf.NewParty("李强", "respondent", "13900001111"),
        ],
    ).case
    Case.objects.filter(pk=case.pk).update(received_at=timezone.now() - timedelta(days=days_ago))
    case.refresh_from_db()
    wf.route_case(case, actor=w.director, unit=w.committee_a, complexity=Complexity.GENERAL)
    return case


def ago(**kwargs):
    return (timezone.now() - timedelta(**kwargs)).replace(second=0, microsecond=0)


def parties(case):
    return case.parties.get(role="applicant"), case.parties.get(role="respondent")


def opened(w):
    case = dispute(w)
    return services.open_mediation(case, actor=w.mediator)


def consented(w):
    mediation = opened(w)
    applicant, respondent = parties(mediation.case)
    services.record_consent(mediation, actor=w.mediator, party=applicant, decision="given")
    services.record_consent(mediation, actor=w.mediator, party=respondent, decision="given")
    return mediation


def ready(w):
    """Both consented, told of their right to go to court, mediators assigned."""
    mediation = consented(w)
    services.record_rights_notice(
        mediation, actor=w.mediator, given_by=w.chair, given_at=ago(days=5, hours=1)
    )
    services.assign_mediators(mediation, actor=w.mediator, members=[w.chair, w.member_f])
    return mediation


def held(w, mediation, **kwargs):
    values = {
        "starts_at": ago(days=5),
        "place": "桂花社区调解室",
        "mediators": [w.chair, w.member_f],
        "attendees": "王芳\n李强",
        "record": "双方陈述了漏水经过。",
    }
    values.update(kwargs)
    return services.record_session(mediation, actor=w.mediator, **values)


TEXT = services.AgreementText(
    dispute_summary="楼上卫生间漏水，浸湿楼下天花板，双方就修复和赔偿发生争议。",
    terms="李强于十日内请专业人员修复卫生间防水层。\n李强赔偿王芳天花板修复费用人民币一千二百元。",
    performance_method="修复完成后由社区调解员现场查验；赔偿款当面付清。",
    amount=Decimal("1200.00"),
)


def signed(w):
    mediation = ready(w)
    held(w, mediation)
    draft = services.save_agreement_draft(mediation, actor=w.mediator, text=TEXT)
    return services.sign_agreement(draft, actor=w.mediator)
