"""The peer's URLs: django-helpdesk's own (its UI and its REST API under ``api/``)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
