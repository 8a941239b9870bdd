"""Every refusal as ``{"error": {"code", "message", "fields"}}`` with its HTTP status.

Messages are translated into the request's language (LocaleMiddleware has activated it).
Where Django already has a message for the same problem its wording is reused, so it
comes translated from Django's own catalogue.
"""

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from yimen.cases.workflow import WorkflowError

from .paging import ordering_choices
from .schemas import NO_NUL

logger = logging.getLogger(__name__)


def error_response(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths, unknown ids and ids outside the caller's scope alike (never 403)."""
    return error_response(404, "not_found", _("Not found, or not in your jurisdiction."))


def invalid(fields: dict[str, str]) -> JsonResponse:
    message = _("Some fields are not valid: %(fields)s.") % {"fields": ", ".join(fields)}
    return error_response(400, "invalid", message, fields)


def _field_message(error: dict[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_long":
        return _("Ensure this value has at most %(max)d characters.") % {
            "max": ctx.get("max_length", 0)
        }
    if kind in ("enum", "literal_error"):
        return _("Select a valid choice. That choice is not one of the available choices.")
    if kind.startswith("int_"):
        return _("Enter a whole number.")
    if kind.startswith(("date_", "datetime_")):
        return _("Enter a valid date.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind.startswith(("decimal_", "float_")):
        return _("Enter a number.")
    if kind == "less_than_equal":
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("le")
        }
    if kind == "greater_than_equal":
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("ge")
        }
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "string_pattern_mismatch" and (choices := ordering_choices(ctx["pattern"])):
        return _("Choose from: %(choices)s; “-” before a name for descending.") % {
            "choices": ", ".join(choices)
        }
    if kind == "null_character" or (
        kind == "string_pattern_mismatch" and ctx.get("pattern") == NO_NUL
    ):
        return _("Null characters are not allowed.")
    if kind == "too_long":
        return _("Ensure this list has at most %(max)d items.") % {"max": ctx.get("max_length", 0)}
    return _("Enter a valid value.")


def _field_name(loc: tuple[Any, ...], body_params: set[str]) -> str:
    """``("body", "payload", "parties", 0, "phone")`` → ``parties.0.phone``."""
    parts = list(loc[1:])
    if loc and loc[0] == "body" and parts and parts[0] in body_params:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


BODY_PARAMS = {"payload"}


def handle_validation(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields.setdefault(
            _field_name(tuple(error.get("loc", ())), BODY_PARAMS), _field_message(error)
        )
    return invalid(fields)


def handle_workflow(request: HttpRequest, exc: WorkflowError) -> JsonResponse:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


def handle_http(request: HttpRequest, exc: HttpError) -> JsonResponse:
    if isinstance(exc, AuthenticationError):
        response = error_response(
            401, "unauthorized", _("Give a valid API token: Authorization: Bearer TOKEN.")
        )
        response["WWW-Authenticate"] = 'Bearer realm="yimen"'
        return response
    if isinstance(exc, Throttled):
        return error_response(
            429, "throttled", _("Too many requests. Wait a little, then try again.")
        )
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return error_response(400, "bad_request", _("The request body is not valid JSON."))
    return error_response(exc.status_code, "error", str(exc))


def handle_404(request: HttpRequest, exc: Http404) -> JsonResponse:
    return not_found(request)


def handle_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", _("Something went wrong on our side."))


def install(api: Any) -> None:
    api.add_exception_handler(Exception, handle_unexpected)
    api.add_exception_handler(Http404, handle_404)
    api.add_exception_handler(HttpError, handle_http)
    api.add_exception_handler(ValidationError, handle_validation)
    api.add_exception_handler(WorkflowError, handle_workflow)
