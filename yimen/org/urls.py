from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.tree_view, name="tree"),
    path("j/new/", views.node_create, name="node_create"),
    path("j/<int:pk>/", views.node_detail, name="node"),
    path("j/<int:pk>/edit/", views.node_edit, name="node_edit"),
    path("import/", views.import_view, name="import"),
    path("export.csv", views.export_csv, name="export"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
]
