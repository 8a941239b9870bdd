"""Every route, from the URL configuration, tried by those who must get nothing from it.

Community A holds a case (with a party, an attachment and an assignment slip), its
mediation and signed agreement, an incident, a plan and a duty shift. Community B holds
nothing. Each route is requested with A's object ids in its path:

- anonymously: a page that is not public sends to the login page (or answers 401/403/404);
  a public page (the portal, Open311, the login page) never shows a party's personal data;
- by B's staff (desk, mediator, administrator): nothing of A appears in any answer, and a
  POST to one of A's objects is refused (403/404/405) — never carried out.

A new route is covered the day it is added: nothing here lists the routes by hand except
the few that are public on purpose.
"""

import re
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from yimen.audit.models import Event
from yimen.emergency import services as emergency
from yimen.emergency.models import ContingencyPlan
from yimen.org.models import DutyShift, Shift

from .mediation_support import signed

PARTY, PHONE, ID_NUMBER = "甲当事人", "13766660123", "110101198203154321"
TITLE = "甲方机密事项"
PERSONAL = (PARTY, PHONE, ID_NUMBER)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")  # fmt: skip

# Routes that answer anyone on purpose (the resident's side, civic-tech clients, sign-in).
PUBLIC = re.compile(r"^/(login/|logout/|i18n/|report/|track/|stats/|open311/|api/v1/openapi)")
REFUSED = {301, 302, 400, 401, 403, 404, 405}


def routes(patterns=None, prefix="") -> Iterator[tuple[str, str]]:
    """(path pattern, name) of every route, includes followed."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name or ""


@pytest.fixture
def community_a(mw, media):
    """A's objects; the ids a guessing user would put in the paths."""
    w = mw
    agreement = signed(w)
    case = agreement.mediation.case
    case.title = TITLE
    case.save(update_fields=["title"])
    party = case.parties.get(role="applicant")
    party.name, party.phone, party.id_number = PARTY, PHONE, ID_NUMBER
    party.save()
    case.attachments.create(
        file=SimpleUploadedFile("photo.png", PNG), original_name="现场.png",
        content_type="image/png", size=len(PNG), uploaded_by=w.mediator,
    )  # fmt: skip
    incident = emergency.report_incident(
        emergency.FirstReport(jurisdiction=w.grid_a1, situation=f"{TITLE}：起火"), actor=w.grid
    )
    plan = ContingencyPlan.objects.create(jurisdiction=w.community_a, incident_type="fire",
                                          title=f"{TITLE}预案", steps="疏散")  # fmt: skip
    shift = DutyShift.objects.create(jurisdiction=w.community_a, day="2026-11-24",
                                     shift=Shift.DAY, user=w.desk)  # fmt: skip
    ids = {
        "pk": case.pk,
        "case_id": case.pk,
        "attachment_pk": case.attachments.get().pk,
        "attachment_id": case.attachments.get().pk,
        "party_pk": party.pk,
        "slip_pk": case.slips.get().pk,
        "agreement_pk": agreement.pk,
        "unit_id": w.committee_a.pk,
    }
    by_prefix = {
        "emergency/plans/": plan.pk,
        "emergency/roster/": shift.pk,
        "emergency/": incident.pk,
        "audit/": Event.objects.filter(path__startswith=w.community_a.path).last().pk,
        "org/j/": w.community_a.pk,
        "org/units/": w.committee_a.pk,
        "org/users/": w.desk.pk,
        "mediation/committees/": w.committee_a.pk,
        "field/grids/": w.grid_a1.pk,
    }
    return w, ids, by_prefix


def concrete(pattern: str, ids: dict[str, int], by_prefix: dict[str, int]) -> str | None:
    """The pattern with A's ids (and plausible words) in it; None for regex routes."""
    if pattern.startswith("open311/^"):
        return None
    pk = next((v for prefix, v in by_prefix.items() if pattern.startswith(prefix)), ids["pk"])

    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return str(pk if name == "pk" else ids.get(name, pk))
        if converter == "isodate":
            return "2026-10-10"
        if name == "code":
            return "disputes" if pattern.startswith("ledgers/") else "neighbour"
        return "accept" if name == "name" else "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, pattern)


def urls(ids, by_prefix) -> list[str]:
    found = {concrete(pattern, ids, by_prefix) for pattern, _name in routes()}
    return sorted(url for url in found if url)


def shows_a(body: str, *, public: bool = False) -> list[str]:
    markers = PERSONAL if public else (*PERSONAL, TITLE)
    return [marker for marker in markers if marker in body]


def test_every_route_is_covered(community_a):
    _w, ids, by_prefix = community_a
    assert len(urls(ids, by_prefix)) > 150


def test_anonymous_visitors_get_nothing(community_a):
    _w, ids, by_prefix = community_a
    client = Client()
    leaks = []
    for url in urls(ids, by_prefix):
        response = client.get(url)
        body = response.content.decode(errors="ignore") if not response.streaming else ""
        if PUBLIC.match(url):
            if shows_a(body, public=True):
                leaks.append((url, response.status_code, shows_a(body, public=True)))
            continue
        if response.status_code == 302 and not response["Location"].startswith("/login/"):
            leaks.append((url, 302, response["Location"]))
        elif response.status_code not in REFUSED:
            leaks.append((url, response.status_code))
    assert leaks == []


@pytest.mark.parametrize("who", ["desk_b", "mediator_b", "admin_b"])
def test_another_communitys_staff_see_nothing_of_a(community_a, client_for, who):
    w, ids, by_prefix = community_a
    client = client_for(getattr(w, who))
    leaks = []
    for url in urls(ids, by_prefix):
        response = client.get(url)
        if response.streaming:
            body = b"".join(response.streaming_content).decode(errors="ignore")
        else:
            body = response.content.decode(errors="ignore")
        if response.status_code == 200 and shows_a(body):
            leaks.append((url, shows_a(body)))
        elif response.status_code not in REFUSED | {200}:
            leaks.append((url, response.status_code))
    assert leaks == []


@pytest.mark.parametrize("who", ["desk_b", "mediator_b"])
def test_another_communitys_staff_cannot_act_on_a(community_a, client_for, who):
    w, ids, by_prefix = community_a
    client = client_for(getattr(w, who))
    events_before = Event.objects.count()
    acted = []
    for pattern, _name in routes():
        if "<int:" not in pattern or pattern.startswith("api/"):
            continue
        url = concrete(pattern, ids, by_prefix)
        if url is None:
            continue
        response = client.post(url, {})
        if response.status_code not in {403, 404, 405}:
            acted.append((url, response.status_code))
    assert acted == []
    assert Event.objects.count() == events_before
