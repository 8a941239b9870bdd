from datetime import date

from django.urls import path, register_converter

from . import views


class IsoDateConverter:
    """``2026-10-01`` in a path; a date that does not exist (2026-02-30) does not match."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


register_converter(IsoDateConverter, "isodate")

app_name = "workdays"
urlpatterns = [
    path("", views.year, name="year"),
    path("deadline/", views.deadline, name="deadline"),
    path("days/", views.set_day, name="set_day"),
    path("days/<isodate:day>/delete/", views.delete_day, name="delete_day"),
    path("load/", views.load_year, name="load_year"),
    path("publish/", views.publish_year, name="publish_year"),
]
