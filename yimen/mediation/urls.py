from .views import case, committees, schedule

app_name = "mediation"
urlpatterns = [
    *schedule.urlpatterns,
    *committees.urlpatterns,
    *case.urlpatterns,
]
