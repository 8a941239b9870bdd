"""A case's material: list it, download a file, add one.

Every file is reached through its case, fetched in the caller's scope: a file of a case the
caller may not see is a 404 exactly like one that does not exist.
"""

import re
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status, UploadedFile

from yimen.cases import workflow as wf
from yimen.cases.attachments import check_upload
from yimen.cases.models import AttachmentKind, Case
from yimen.org.scoping import get_for_user_or_404

from . import conditional, errors, schemas
from .paging import limit_param, page_param, paginate
from .serialize import attachment_data, case_detail_data

router = Router(tags=["attachments"])

# What ``check_upload`` lets in, so what a download can be.
FILE_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_for_user_or_404(Case, request.user, pk=case_id)


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII stand-in for old clients and the real name (RFC 6266)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(name, safe='')}"


@router.get(
    "/cases/{int:case_id}/attachments",
    response={200: schemas.AttachmentList, **schemas.errors(400, 404)},
)
def list_attachments(
    request: HttpRequest,
    response: HttpResponse,
    case_id: int,
    page: int = page_param(),
    limit: int = limit_param(),
) -> Any:
    """The case's material, oldest first."""
    case = _case(request, case_id)
    data = paginate(request, case.attachments.order_by("pk"), page, limit)
    data["items"] = [attachment_data(a, request) for a in data["items"]]
    return conditional.read(request, response, data)


@router.get(
    "/cases/{int:case_id}/attachments/{int:attachment_id}",
    response={200: None, **schemas.errors(404)},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as a download under the name it was uploaded with.",
                "headers": {
                    "Content-Disposition": {
                        "schema": {"type": "string"},
                        "description": "`attachment` with `filename` (ASCII) and `filename*`.",
                    }
                },
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in FILE_TYPES
                },
            }
        }
    },
)
def download_attachment(request: HttpRequest, case_id: int, attachment_id: int) -> Any:
    """The file itself (a photo, PDF or Office document)."""
    case = _case(request, case_id)
    item = case.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=item.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(item.original_name)
    response["Content-Length"] = str(item.size)
    response["Cache-Control"] = "private, no-store"  # as the case page serves it
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/cases/{int:case_id}/attachments",
    response={201: schemas.CaseDetailOut, **schemas.errors(400, 403, 404)},
    openapi_extra={
        "responses": {
            "201": {
                "headers": {
                    "Location": {
                        "schema": {"type": "string"},
                        "description": "The new file's download URL.",
                    }
                }
            }
        }
    },
)
def add_attachment(
    request: HttpRequest,
    response: HttpResponse,
    case_id: int,
    file: File[UploadedFile],
    kind: Form[AttachmentKind] = AttachmentKind.GENERAL,
) -> Any:
    """Add material (a photo, PDF or Office document), e.g. what an escalation needs.

    Answers the case with all its material; ``Location`` is the new file's download URL.
    """
    case = _case(request, case_id)
    if not wf.may_attach(request.user, case):
        raise wf.NotAllowed(_("You may not add material to this case."))
    try:
        check_upload(file)
    except ValidationError as error:
        return errors.invalid({"file": error.messages[0]})
    [added] = wf.add_attachments(case, [wf.NewAttachment(file, kind)], actor=request.user)
    response["Location"] = attachment_data(added, request)["download_url"]
    return Status(201, case_detail_data(case, request))
