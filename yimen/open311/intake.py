"""POST requests and POST servicerequestupdates: check everything, then write in one go.

A request becomes an online case through ``workflow.submit_online``, the same intake as the
resident portal. Every check runs before anything is written, and the case, its files and
its Open311 record are written in one transaction: a refused request leaves nothing behind.
"""

import math
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yimen.cases import workflow as wf
from yimen.cases.attachments import check_upload
from yimen.cases.models import Case, CaseEvent, Category
from yimen.org.models import Jurisdiction
from yimen.org.places import jurisdiction_at

from .formats import w3c
from .models import Datatype, Open311Client, Open311Request, Open311Update, ServiceAttribute
from .parsing import Refused, param, parse_w3c
from .present import LIST_TYPES, localized, open311_cases, open311_categories

DESCRIPTION_MAX = 4000  # GeoReport v2: "free form text limited to 4,000 characters"
ADDRESS_MAX = 200
PHONE_MAX = 32
NAME_MAX = 50
TITLE_MAX = 60
URL_MAX = 500
STRING_MAX = 200

_ATTRIBUTE_KEY = re.compile(r"attribute\[([^\[\]]+)\](?:\[\])?")
_CJK = re.compile(r"[\u3400-\u9fff]")
_validate_url = URLValidator(schemes=["http", "https"])

# mySociety's update statuses (FixMyStreet sends them upper case); recorded, never acted on.
UPDATE_STATUSES = frozenset(
    {
        "open",
        "closed",
        "fixed",
        "in_progress",
        "action_scheduled",
        "investigating",
        "duplicate",
        "not_councils_responsibility",
        "no_further_action",
        "internal_referral",
        "reopen",
        "for_triage",
    }
)


# --- where ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    jurisdiction: Jurisdiction
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _coordinate(value: str, name: str, limit: int) -> Decimal:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or abs(number) > limit:
        raise Refused(400, _("%(name)s: a number of degrees (WGS 84) is needed.") % {"name": name})
    return Decimal(f"{number:.6f}")


def locate(data: Any) -> Place:
    """One of lat & long, address_string or address_id, as GeoReport v2 requires.

    A map point finds its place in the jurisdiction tree; an address alone goes to
    ``YIMEN_OPEN311_DEFAULT_JURISDICTION`` when one is set; Yimen keeps no address register,
    so an address_id alone cannot be placed.
    """
    lat, long = param(data, "lat"), param(data, "long")
    address = param(data, "address_string") or ""
    if len(address) > ADDRESS_MAX:
        raise Refused(
            400,
            _("address_string: at most %(max)d characters.") % {"max": ADDRESS_MAX},
        )
    if lat is not None or long is not None:
        if lat is None or long is None:
            raise Refused(400, _("lat and long must be sent together."))
        latitude = _coordinate(lat, "lat", 90)
        longitude = _coordinate(long, "long", 180)
        node = jurisdiction_at(latitude, longitude)
        if node is None:
            raise Refused(
                400,
                _("lat/long: this point is outside the area the center serves."),
            )
        return Place(node, address, latitude, longitude)
    if address:
        code = settings.YIMEN_OPEN311_DEFAULT_JURISDICTION
        node = Jurisdiction.objects.filter(code=code).first() if code else None
        if node is None:
            raise Refused(
                400,
                _("address_string alone cannot be placed here: send lat and long as well."),
            )
        return Place(node, address)
    if param(data, "address_id") is not None:
        raise Refused(
            400,
            _("address_id is not supported here: send lat and long, or address_string."),
        )
    raise Refused(400, _("A location is required: lat and long, or address_string."))


# --- extra answers -------------------------------------------------------------------------


def _submitted_attributes(data: Any) -> dict[str, list[str]]:
    """``attribute[code]=v`` and ``attribute[code][]=v1&attribute[code][]=v2``, empties dropped."""
    submitted: dict[str, list[str]] = {}
    for key in data:
        match = _ATTRIBUTE_KEY.fullmatch(key)
        if match:
            values = [v.strip() for v in data.getlist(key) if v.strip()]
            if values:
                submitted.setdefault(match.group(1), []).extend(values)
    return submitted


def _answer(attribute: ServiceAttribute, values: list[str]) -> tuple[str, str]:
    """The stored value and how it reads; ValueError says what is wrong with it."""
    if attribute.datatype in LIST_TYPES:
        names = {
            str(v["key"]): localized(v["name"], v.get("name_en", "")) for v in attribute.values
        }
        unknown = [v for v in values if v not in names]
        if unknown:
            raise ValueError(_("choose from: %(keys)s.") % {"keys": ", ".join(names)})
        chosen = list(dict.fromkeys(values))
        if attribute.datatype == Datatype.SINGLE and len(chosen) > 1:
            raise ValueError(_("choose one value only."))
        return ",".join(chosen), ", ".join(names[v] for v in chosen)
    if len(values) > 1:
        raise ValueError(_("give one value only."))
    value = values[0]
    if attribute.datatype == Datatype.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise ValueError(_("enter a number."))
        return value, value
    if attribute.datatype == Datatype.DATETIME:
        try:
            moment = w3c(parse_w3c(value))
        except ValueError:
            raise ValueError(_("enter a date and time like 2026-09-28T08:00:00+08:00.")) from None
        return moment, moment
    limit = DESCRIPTION_MAX if attribute.datatype == Datatype.TEXT else STRING_MAX
    if attribute.datatype == Datatype.STRING:
        value = " ".join(value.split())  # "a string of characters without line breaks"
    if len(value) > limit:
        raise ValueError(_("at most %(max)d characters.") % {"max": limit})
    return value, value


def read_answers(category: Category, data: Any) -> tuple[list[dict[str, str]], list[str]]:
    """The answers to the service's questions, and what is wrong with them."""
    submitted = _submitted_attributes(data)
    answers: list[dict[str, str]] = []
    problems: list[str] = []
    for attribute in category.open311_attributes.filter(variable=True).order_by("order", "code"):
        question = localized(attribute.description, attribute.description_en)
        values = submitted.get(attribute.code)
        key = f"attribute[{attribute.code}]"
        if not values:
            if attribute.required:
                problems.append(
                    _("%(key)s: an answer is required (%(question)s)")
                    % {"key": key, "question": question}
                )
            continue
        try:
            value, name = _answer(attribute, values)
        except ValueError as error:
            problems.append(f"{key}: {error}")
            continue
        answers.append({"code": attribute.code, "label": question, "value": value, "name": name})
    return answers, problems


# --- media ---------------------------------------------------------------------------------


def read_media_urls(data: Any) -> tuple[list[str], list[str]]:
    """``media_url``: links to photos the client keeps. Yimen stores the link, never fetches it."""
    urls, problems = [], []
    for raw in data.getlist("media_url"):
        url = raw.strip()
        if not url:
            continue
        try:
            if len(url) > URL_MAX:
                raise ValidationError("too long")
            _validate_url(url)
        except ValidationError:
            problems.append(_("media_url: an http or https address is needed."))
            continue
        urls.append(url)
    return urls, problems


def read_uploads(files: Any) -> tuple[list[Any], list[str]]:
    """``media``: photos uploaded with the request (multipart), checked like any attachment."""
    uploads, problems = [], []
    for upload in files.getlist("media"):
        try:
            uploads.append(check_upload(upload))
        except ValidationError as error:
            problems.append(f"media: {error.messages[0]}")
    return uploads, problems


# --- the request ---------------------------------------------------------------------------


def _requester_name(data: Any) -> str:
    """Given and family name, in the order the name is written in."""
    first, last = param(data, "first_name") or "", param(data, "last_name") or ""
    if _CJK.search(first + last):
        name = last + first
    else:
        name = f"{first} {last}".strip()
    return name[:NAME_MAX]


def _title(description: str) -> str:
    line = next((ln.strip() for ln in description.splitlines() if ln.strip()), "")
    if line.lower().startswith("title:"):  # FixMyStreet's "title: …\n\ndetail: …"
        line = line[len("title:") :].strip() or line
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1] + "…"


def _account(description: str, answers: list[dict[str, str]], urls: list[str]) -> str:
    """The resident's account, then the answers and photo links, so staff see them all."""
    lines = [
        _("%(question)s: %(answer)s") % {"question": a["label"], "answer": a["name"]}
        for a in answers
    ]
    lines += [_("Photo: %(url)s") % {"url": url} for url in urls]
    return description + ("\n\n" + "\n".join(lines) if lines else "")


_FIELD_NAMES = {
    "title": "description",
    "description": "description",
    "phone": "phone",
    "jurisdiction": "lat/long",
    "category": "service_code",
}


def submit_request(client: Open311Client, data: Any, files: Any) -> wf.Registered:
    """POST requests: the case registered, with the resident's tracking code."""
    code = param(data, "service_code")
    if code is None:
        raise Refused(400, _("service_code: give the code of a service (see services.xml)."))
    category = open311_categories().filter(code=code).first()
    if category is None:
        raise Refused(404, _("service_code %(code)s: no such service.") % {"code": code})
    problems: list[str] = []
    try:
        place = locate(data)
    except Refused as refused:
        problems += refused.descriptions
    description = param(data, "description")
    if description is None:
        problems.append(_("description: give an account of the matter."))
    elif len(description) > DESCRIPTION_MAX:
        problems.append(_("description: at most %(max)d characters.") % {"max": DESCRIPTION_MAX})
    phone = param(data, "phone") or ""
    if len(phone) > PHONE_MAX:
        problems.append(_("phone: at most %(max)d characters.") % {"max": PHONE_MAX})
    answers, answer_problems = read_answers(category, data)
    urls, url_problems = read_media_urls(data)
    uploads, upload_problems = read_uploads(files)
    problems += answer_problems + url_problems + upload_problems
    if problems:
        raise Refused(400, *problems)

    try:
        with transaction.atomic():
            registered = wf.submit_online(
                title=_title(description),
                description=_account(description, answers, urls),
                category=category,
                jurisdiction=place.jurisdiction,
                phone=phone,
                name=_requester_name(data),
                address=place.address,
                latitude=place.latitude,
                longitude=place.longitude,
                attachments=[wf.NewAttachment(u) for u in uploads],
                source="open311",
            )
            Open311Request.objects.create(
                case=registered.case,
                client=client,
                token=secrets.token_urlsafe(12),
                answers=answers,
                media_urls=urls,
            )
    except wf.Invalid as error:
        raise Refused(
            400,
            *(f"{_FIELD_NAMES.get(k, k)}: {m}" for k, m in error.fields.items()),
        ) from None
    return registered


# --- a client's update ---------------------------------------------------------------------


def _existing_update(client: Open311Client, update_id: str, case: Case) -> CaseEvent | None:
    record = Open311Update.objects.filter(client=client, client_update_id=update_id).first()
    if record is None:
        return None
    if record.event.case_id != case.pk:
        raise Refused(
            400,
            _("update_id %(id)s was already used for another request.") % {"id": update_id},
        )
    return record.event


def post_update(client: Open311Client, data: Any) -> CaseEvent:
    """POST servicerequestupdates: a public note on one of the client's own requests.

    The note goes on the timeline for staff and resident alike; the status the client sends
    is recorded with it but changes nothing: only the center closes or reopens a matter.
    """
    request_id = param(data, "service_request_id")
    if request_id is None:
        raise Refused(400, _("service_request_id: say which request the update is about."))
    case = open311_cases().filter(receipt_number=request_id, open311__client=client).first()
    if case is None:
        raise Refused(404, _("service_request_id %(id)s: no such request.") % {"id": request_id})
    problems: list[str] = []
    text = param(data, "description")
    if text is None:
        problems.append(_("description: write the update."))
    elif len(text) > DESCRIPTION_MAX:
        problems.append(_("description: at most %(max)d characters.") % {"max": DESCRIPTION_MAX})
    status = (param(data, "status") or "").lower()
    if status and status not in UPDATE_STATUSES:
        problems.append(_("status: %(status)s is not a known status.") % {"status": status})
    updated = param(data, "updated_datetime")
    if updated is not None:
        try:
            updated = w3c(parse_w3c(updated))
        except ValueError:
            problems.append(
                _("updated_datetime: use the W3C format, e.g. 2026-09-01T10:00:00+08:00.")
            )
    update_id = param(data, "update_id") or ""
    if len(update_id) > 100:
        problems.append(_("update_id: at most 100 characters."))
    urls, url_problems = read_media_urls(data)
    problems += url_problems
    if problems:
        raise Refused(400, *problems)

    if update_id and (event := _existing_update(client, update_id, case)):
        return event
    note_data = {
        "client": client.name,
        "update_id": update_id,
        "status": status,
        "updated_datetime": updated,
        "media_urls": urls,
    }
    try:
        with transaction.atomic():
            event = wf.add_public_note(
                case, source="open311", text=text, data={k: v for k, v in note_data.items() if v}
            )
            Open311Update.objects.create(client=client, client_update_id=update_id, event=event)
    except IntegrityError:
        # The same update_id posted twice at once: the other copy was written first.
        event = _existing_update(client, update_id, case) if update_id else None
        if event is None:
            raise
    return event
