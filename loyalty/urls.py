"""The player's loyalty pages; nodebyte_platform/portal_urls.py puts them in the "portal" namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("loyalty/", views.loyalty, name="loyalty"),
    path("loyalty/redeem/", views.redeem, name="loyalty_redeem"),
]
