from django.conf import settings

from .navigation import nav_for


def navigation(request):
    return {
        "nav_items": nav_for(request.user, request.path),
        "center_name": settings.YIMEN_CENTER_NAME,
    }
