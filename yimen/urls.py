from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("yimen.org.urls")),
    path("calendar/", include("yimen.workdays.urls")),
    path("audit/", include("yimen.audit.urls")),
    path("cases/", include("yimen.cases.urls")),
    path("api/v1/", include("yimen.api.urls")),
    path("notices/", include("yimen.notices.urls")),
    path("", include("yimen.home.urls")),
]
