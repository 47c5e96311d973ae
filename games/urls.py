"""The player's game pages; nodebyte_platform/portal_urls.py puts them in the "portal" namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("shop/", views.shop, name="shop"),
]
