from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("generate/", views.generate, name="generate"),
    path("responsible/", views.responsible, name="responsible"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/narrative/", views.narrative, name="narrative"),
    path("<int:pk>/regenerate/", views.regenerate, name="regenerate"),
    path("<int:pk>/file/", views.file_report, name="file"),
    path("<int:pk>/report.pdf", views.download_pdf, name="pdf"),
    path("<int:pk>/report.xlsx", views.download_xlsx, name="xlsx"),
]
