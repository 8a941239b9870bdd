from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("yimen.accounts.urls")),
    path("org/", include("yimen.org.urls")),
    path("calendar/", include("yimen.workdays.urls")),
    path("audit/", include("yimen.audit.urls")),
    path("cases/", include("yimen.cases.urls")),
    path("mediation/", include("yimen.mediation.urls")),
    path("ledgers/", include("yimen.ledgers.urls")),
    path("dashboard/", include("yimen.dashboard.urls")),
    path("reports/", include("yimen.reports.urls")),
    path("meetings/", include("yimen.meetings.urls")),
    path("safety/", include("yimen.safety.urls")),
    path("field/", include("yimen.fieldwork.urls")),
    path("emergency/", include("yimen.emergency.urls")),
    path("accountability/", include("yimen.accountability.urls")),
    path("supervision/", include("yimen.supervision.urls")),
    path("api/v1/", include("yimen.api.urls")),
    path("open311/", include("yimen.open311.urls")),
    path("notices/", include("yimen.notices.urls")),
    path("jobs/", include("yimen.jobs.urls")),
    path("", include("yimen.portal.urls")),
    path("", include("yimen.home.urls")),
]
