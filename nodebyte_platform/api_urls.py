"""Partner API v1 routes; each app contributes its views."""

urlpatterns = []
