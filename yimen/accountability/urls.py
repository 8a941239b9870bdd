from django.urls import path

from . import views

app_name = "accountability"
urlpatterns = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
    path("cases/", views.cases, name="cases"),
]
