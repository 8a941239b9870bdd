from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.tree_view, name="tree"),
    path("users/", views.users, name="users"),
]
