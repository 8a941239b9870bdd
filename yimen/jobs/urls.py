from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("failed/", views.failed_list, name="failed"),
    path("failed/<int:pk>/retry/", views.retry, name="retry"),
    path("failed/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
]
