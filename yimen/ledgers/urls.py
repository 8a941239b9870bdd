from django.urls import path

from . import views

app_name = "ledgers"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:code>/", views.ledger_page, name="ledger"),
    path("<slug:code>/print/", views.ledger_print, name="print"),
    path("<slug:code>/export.xlsx", views.ledger_xlsx, name="xlsx"),
    path("<slug:code>/export.pdf", views.ledger_pdf, name="pdf"),
]
