from .views import access, detail, documents, intake, lists, merges, rules

app_name = "cases"
urlpatterns = [
    *intake.urlpatterns,
    *lists.urlpatterns,
    *detail.urlpatterns,
    *merges.urlpatterns,
    *documents.urlpatterns,
    *rules.urlpatterns,
    *access.urlpatterns,
]
