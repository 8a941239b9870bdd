from django.urls import path

from .views import public, report, track

app_name = "portal"

urlpatterns = [
    path("report/", report.report, name="report"),
    path("report/done/", report.done, name="done"),
    path("report/privacy/", public.privacy, name="privacy"),
    path("report/areas.geojson", public.areas, name="areas"),
    path("track/", track.track, name="track"),
    path("track/rate/", track.rate, name="rate"),
    path("track/rehandle/", track.rehandle, name="rehandle"),
    path("track/forget/", track.forget, name="forget"),
    path("stats/", public.stats, name="stats"),
]
