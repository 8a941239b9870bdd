from .views import campaigns, grids, patrols

app_name = "fieldwork"
urlpatterns = [*grids.urlpatterns, *patrols.urlpatterns, *campaigns.urlpatterns]
