"""Partner API v1 routes; each app contributes its views."""

from django.urls import include, path

from billing import api as billing_api
from loyalty import api as loyalty_api

urlpatterns = [
    path("", include("games.api.urls")),
    path("me/", loyalty_api.MeView.as_view(), name="api-me"),
    path("me/loyalty/", loyalty_api.LoyaltyView.as_view(), name="api-me-loyalty"),
    path("me/payments/", billing_api.MyPaymentsView.as_view(), name="api-me-payments"),
    path("", include("support.api_urls")),
]
