from .views import board, desk, reminders

app_name = "supervision"
urlpatterns = [
    *desk.urlpatterns,
    *reminders.urlpatterns,
    *board.urlpatterns,
]
