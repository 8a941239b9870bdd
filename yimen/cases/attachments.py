"""Checking uploads by what they contain, not by what they are called."""

import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Leading bytes of each accepted kind of file.
_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword"),  # .doc / .xls / .ppt
]
_OFFICE_XML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def sniff(upload: Any) -> str | None:
    """The content type the file's bytes show, or None if it is not one we accept."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            for prefix, content_type in _OFFICE_XML.items():
                if any(name.startswith(prefix) for name in names):
                    return content_type
    return None


def check_upload(upload: Any) -> Any:
    """Refuse files that are too big or not photos, PDF or Office documents; else return it."""
    limit = settings.YIMEN_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large: at most %(mb)d MB.")
            % {"name": upload.name, "mb": limit // (1024 * 1024)}
        )
    content_type = sniff(upload)
    if content_type is None:
        raise ValidationError(
            _("%(name)s is not a photo, PDF or Office document.") % {"name": upload.name}
        )
    upload.content_type = content_type
    return upload
