"""Stored files handed to the people allowed to see them, never as public static files."""

from typing import Any

from django.http import FileResponse, Http404


def private_file(stored: Any, content_type: str) -> FileResponse:
    """The file behind a permission check the caller made: not cached by anyone on the way,
    and a 404 (not a 500) when the file is missing from storage."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
