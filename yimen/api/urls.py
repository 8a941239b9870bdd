from functools import wraps
from typing import Any

from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .api import api
from .errors import error_response, not_found


def _json_405(view: Any) -> Any:
    """django-ninja answers a wrong method in plain text; the API answers in JSON."""

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        error = error_response(405, "method_not_allowed", _("This method is not allowed here."))
        error["Allow"] = response["Allow"]
        return error

    return wrapped


_patterns, _app, _namespace = api.urls
_patterns = [
    URLPattern(p.pattern, _json_405(p.callback), p.default_args, p.name)
    if isinstance(p, URLPattern)
    else p
    for p in _patterns
]

# Token-authenticated, so no CSRF check: a POST to an unknown path is a JSON 404, not an HTML 403.
_not_found = csrf_exempt(not_found)

urlpatterns = [
    path("", _not_found),  # ninja's own root page answers an HTML 404
    path("", (_patterns, _app, _namespace)),
    # Anything else under /api/v1/ answers in JSON too.
    re_path(r"", _not_found),
]
