"""One answer, two formats: XML (required by GeoReport v2) and JSON (its Spark mapping).

Views build plain data — dicts, lists, strings, numbers, booleans, None — under a root
name. XML wraps it in the root element and names each list item by its container
(``services`` → ``service``); JSON drops the root, so a list stays a list and an empty
element is ``null`` (wiki.open311.org/JSON_and_XML_Conversion, the Spark convention).
"""

import re
import xml.etree.ElementTree as ET  # noqa: S405 - building XML, never parsing untrusted input
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

XML = "xml"
JSON = "json"
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}

# The element each item of a list is wrapped in.
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "media_urls": "media_url",
}

# Characters XML 1.0 cannot carry at all; a pasted account of a matter sometimes has them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3c(moment: datetime | None) -> str | None:
    """``2026-09-28T10:15:00+08:00``: the W3C profile of ISO 8601, always with an offset."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _scalar(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list | tuple):
        name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(_scalar(value)))


def to_xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def _for_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _for_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_for_json(v) for v in value]
    return _scalar(value)


def render(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    if fmt == JSON:
        return JsonResponse(
            _for_json(data),
            status=status,
            safe=False,
            content_type=CONTENT_TYPES[JSON],
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponse(to_xml(root, data), status=status, content_type=CONTENT_TYPES[XML])


def errors(fmt: str, status: int, descriptions: list[str], *, code: int | None = None):
    """``<errors><error><code/><description/></error></errors>``, or a JSON list of them.

    The code in the body is the HTTP status unless a more specific one is given.
    """
    items = [{"code": code or status, "description": str(d)} for d in descriptions]
    return render(fmt, "errors", items, status=status)
