"""ETags on reads (``If-None-Match`` → 304) and ``If-Match`` on a case's actions (→ 412).

The tag is a hash of what the caller is shown, in the caller's language: the masked parties,
the actions open to this caller, the working days left today. Whatever changes the answer
changes the tag, and nothing else does, so it can be a strong tag and ``If-Match`` can
compare it as RFC 9110 asks.
"""

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yimen.cases import workflow as wf


class PreconditionFailed(wf.WorkflowError):
    status = 412
    code = "precondition_failed"


def etag_for(data: Any) -> str:
    canonical = json.dumps(
        [get_language(), data], sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False
    )
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def read(request: HttpRequest, response: HttpResponse, data: Any) -> Any:
    """``data`` with its ETag on ``response``, or a 304 when the caller already has it."""
    tag = etag_for(data)
    response["ETag"] = tag
    # Personal data: no shared cache may keep it, and the client asks again each time.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Accept-Language", "Authorization"))
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in wanted or tag in {_opaque(t) for t in wanted}:  # weak comparison
        not_modified = HttpResponseNotModified()
        for header in ("ETag", "Cache-Control", "Vary"):
            not_modified[header] = response[header]
        return not_modified
    return data


def check_if_match(header: str | None, data: Any) -> None:
    """Refuse a write made on a representation the caller no longer has."""
    if header is None:
        return
    wanted = parse_etags(header)
    if "*" in wanted or etag_for(data) in wanted:  # strong comparison: a weak tag never matches
        return
    raise PreconditionFailed(
        _("This case has changed since you read it. Read it again, then retry."),
        fields={"If-Match": _("Send the ETag of the case as you last read it.")},
    )
