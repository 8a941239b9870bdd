from .views import urlpatterns

app_name = "emergency"
__all__ = ["urlpatterns"]
