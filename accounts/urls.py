"""The player's pages of accounts; nodebyte_platform/portal_urls.py puts them in the "portal" namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("join/<str:code>/", views.join, name="join"),
]
