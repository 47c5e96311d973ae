"""The project's URLs plus /bench/baseline/: the cheapest Django JSON view, the yardstick of the API benchmark."""

from django.http import JsonResponse
from django.urls import include, path


def baseline(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/baseline/", baseline),
    path("", include("nodebyte_platform.urls")),
]
