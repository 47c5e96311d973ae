"""Partner API v1: the partner application's webhook endpoints (scope `webhooks:manage`,
client-credentials tokens: the partner acting as itself).

An endpoint's signing secret never travels in a create or rotate answer (those are kept as
idempotency records); the application reads it from /secret/, as Svix's API does, from the
encrypted column.
"""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from nodebyte_platform.api.auth import ClientToken, ScopedToken
from nodebyte_platform.api.errors import READ_ERRORS, WRITE_ERRORS, error_responses
from nodebyte_platform.api.views import IDEMPOTENCY_KEY_PARAMETER, IdempotentWriteView, PartnerView
from support import services
from support.models import WebhookDelivery, WebhookEndpoint

SCOPE = "webhooks:manage"
DELIVERY_PAGE = 50


class EndpointIn(serializers.Serializer):
    url = serializers.CharField(max_length=500)
    event_types = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=20)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class EndpointOut(serializers.Serializer):
    endpoint_id = serializers.UUIDField(source="public_id")
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SecretOut(serializers.Serializer):
    secret = serializers.CharField(help_text="whsec_...; verify with any Standard Webhooks library.")
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)


class DeliveryOut(serializers.Serializer):
    delivery_id = serializers.IntegerField(source="pk")
    webhook_id = serializers.CharField(source="message_id")
    event = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    response_status = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class EmptyIn(serializers.Serializer):
    pass


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("No such endpoint.")


class _Mine:
    """The endpoint the URL names, if it is this application's (404 otherwise)."""

    queryset = WebhookEndpoint.objects.none()  # for the schema only; reads filter by the caller
    required_scopes = [SCOPE]
    permission_classes = [ScopedToken, ClientToken]

    def endpoint(self, endpoint_id) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(
            application=self.request.auth.application, public_id=_uuid(endpoint_id)
        ).first()
        if endpoint is None:
            raise NotFound("No such endpoint.")
        return endpoint


@extend_schema(tags=["webhooks"])
class EndpointListView(_Mine, IdempotentWriteView):
    """The application's webhook endpoints; POST registers one (then read its secret from /secret/)."""

    serializer_class = EndpointIn

    @extend_schema(responses={200: EndpointOut(many=True), **error_responses(*READ_ERRORS)})
    def get(self, request):
        endpoints = WebhookEndpoint.objects.filter(application=request.auth.application).order_by("created_at")
        return Response(EndpointOut(endpoints, many=True).data)

    @extend_schema(
        request=EndpointIn,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: EndpointOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)

    def write(self, data, target):
        endpoint, _secret = services.create_endpoint(
            application=self.request.auth.application,
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
        )
        return EndpointOut(endpoint).data


@extend_schema(tags=["webhooks"])
class EndpointDetailView(_Mine, PartnerView):
    """One endpoint; DELETE removes it with its delivery log."""

    serializer_class = EndpointOut

    @extend_schema(responses={200: EndpointOut, **error_responses(*READ_ERRORS)})
    def get(self, request, endpoint_id):
        return Response(EndpointOut(self.endpoint(endpoint_id)).data)

    @extend_schema(responses={204: None, **error_responses(*READ_ERRORS)})
    def delete(self, request, endpoint_id):
        services.delete_endpoint(endpoint=self.endpoint(endpoint_id))
        return Response(status=204)


@extend_schema(tags=["webhooks"])
class EndpointSecretView(_Mine, PartnerView):
    """The endpoint's current signing secret."""

    serializer_class = SecretOut

    @extend_schema(responses={200: SecretOut, **error_responses(*READ_ERRORS)})
    def get(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        response = Response(SecretOut({"secret": endpoint.secret, **_overlap(endpoint)}).data)
        response["Cache-Control"] = "no-store"
        return response


def _overlap(endpoint) -> dict:
    return {"previous_secret_expires_at": endpoint.previous_secret_expires_at if endpoint.previous_secret else None}


@extend_schema(tags=["webhooks"])
class EndpointRotateView(_Mine, IdempotentWriteView):
    """A new signing secret; the old one keeps signing beside it for the overlap period."""

    serializer_class = EmptyIn
    write_status = 200

    def get_target(self, **url_kwargs):
        return self.endpoint(url_kwargs["endpoint_id"])

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: EndpointOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)

    def write(self, data, endpoint):
        services.rotate_endpoint_secret(endpoint=endpoint)
        endpoint.refresh_from_db()
        return {**EndpointOut(endpoint).data, **_overlap(endpoint)}


@extend_schema(tags=["webhooks"])
class DeliveryListView(_Mine, PartnerView):
    """The endpoint's latest deliveries, newest first."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = DeliveryOut

    @extend_schema(responses={200: DeliveryOut(many=True), **error_responses(*READ_ERRORS)})
    def get(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")[:DELIVERY_PAGE]
        return Response(DeliveryOut(deliveries, many=True).data)


@extend_schema(tags=["webhooks"])
class DeliveryReplayView(_Mine, IdempotentWriteView):
    """Send a delivery's message again (same webhook-id); answers the new delivery."""

    serializer_class = EmptyIn
    write_status = 202

    def get_target(self, **url_kwargs):
        endpoint = self.endpoint(url_kwargs["endpoint_id"])
        delivery = WebhookDelivery.objects.filter(endpoint=endpoint, pk=url_kwargs["delivery_id"]).first()
        if delivery is None:
            raise NotFound("No such delivery.")
        return delivery

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={202: DeliveryOut, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)

    def write(self, data, delivery):
        replay = services.replay_delivery(delivery=delivery)
        return DeliveryOut(replay).data
