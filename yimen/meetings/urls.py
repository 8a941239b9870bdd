from .views import meetings, tasks

app_name = "meetings"
urlpatterns = [
    *tasks.urlpatterns,
    *meetings.urlpatterns,
]
