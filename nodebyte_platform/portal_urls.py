"""The player portal under one URL namespace, "portal": the pages composed here, then each app's own."""

from django.urls import path

from accounts.urls import urlpatterns as accounts_pages
from nodebyte_platform import pages
from support.urls import urlpatterns as support_pages

app_name = "portal"

urlpatterns = [
    path("", pages.home, name="home"),
    *accounts_pages,
    *support_pages,
]
