from .views import case, committees, reports, schedule

app_name = "mediation"
urlpatterns = [
    *schedule.urlpatterns,
    *committees.urlpatterns,
    *reports.urlpatterns,
    *case.urlpatterns,
]
