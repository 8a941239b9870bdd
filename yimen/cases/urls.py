from .views import access, detail, documents, intake, lists, rules

app_name = "cases"
urlpatterns = [
    *intake.urlpatterns,
    *lists.urlpatterns,
    *detail.urlpatterns,
    *documents.urlpatterns,
    *rules.urlpatterns,
    *access.urlpatterns,
]
