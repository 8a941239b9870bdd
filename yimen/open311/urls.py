"""``/open311/``: discovery, and GeoReport v2 under ``v2/``, each in ``.xml`` and ``.json``."""

from django.urls import re_path

from . import views

FORMAT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.discovery, name="open311-discovery"),
    re_path(r"^v2/discovery" + FORMAT, views.discovery),
    re_path(r"^v2/services" + FORMAT, views.services, name="open311-services"),
    re_path(r"^v2/services/(?P<code>[^/]+)" + FORMAT, views.service_definition),
    re_path(r"^v2/requests" + FORMAT, views.requests, name="open311-requests"),
    re_path(r"^v2/requests/(?P<request_id>[^/]+)" + FORMAT, views.request_detail),
    re_path(r"^v2/tokens/(?P<token>[^/]+)" + FORMAT, views.token),
    re_path(r"^v2/servicerequestupdates" + FORMAT, views.updates),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
