from .views import hazards, places

app_name = "safety"
urlpatterns = [*places.urlpatterns, *hazards.urlpatterns]
