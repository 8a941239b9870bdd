from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("cases/", views.figure_cases, name="cases"),
    path("trends/", views.trends_page, name="trends"),
]
