from django.conf import settings

from yimen.notices.services import unread_count
from yimen.org.permissions import staff

from .navigation import nav_for


def navigation(request):
    return {
        "nav_items": nav_for(request.user, request.path),
        "center_name": settings.YIMEN_CENTER_NAME,
        "unread_notices": unread_count(request.user) if staff(request.user) else 0,
    }
