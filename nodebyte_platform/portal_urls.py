"""The player portal under one URL namespace, "portal": the pages composed here, then each app's own."""

from django.urls import path

from accounts.urls import urlpatterns as accounts_pages
from billing.urls import urlpatterns as billing_pages
from games.urls import urlpatterns as games_pages
from loyalty.urls import urlpatterns as loyalty_pages
from nodebyte_platform import pages
from support.urls import urlpatterns as support_pages

app_name = "portal"

urlpatterns = [
    path("", pages.home, name="home"),
    *accounts_pages,
    *billing_pages,
    *games_pages,
    path("servers/", pages.my_servers, name="servers"),
    *loyalty_pages,
    *support_pages,
]
