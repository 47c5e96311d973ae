"""Support's partner API routes, included by nodebyte_platform/api_urls.py."""

from django.urls import path

from support import api

urlpatterns = [
    path("webhooks/endpoints/", api.EndpointListView.as_view(), name="api-webhook-endpoints"),
    path("webhooks/endpoints/<str:endpoint_id>/", api.EndpointDetailView.as_view(), name="api-webhook-endpoint"),
    path("webhooks/endpoints/<str:endpoint_id>/secret/", api.EndpointSecretView.as_view(), name="api-webhook-secret"),
    path(
        "webhooks/endpoints/<str:endpoint_id>/rotate-secret/",
        api.EndpointRotateView.as_view(),
        name="api-webhook-rotate",
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/deliveries/",
        api.DeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/endpoints/<str:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        api.DeliveryReplayView.as_view(),
        name="api-webhook-replay",
    ),
]
