"""Partner API: the player's payments, top-ups and refunds (GET /api/v1/me/payments/, wallet:read)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from billing.models import Payment
from billing.selectors import payments_of
from nodebyte_platform.api.auth import PlayerToken, ScopedToken, player_of
from nodebyte_platform.api.errors import READ_ERRORS, error_responses
from nodebyte_platform.api.pagination import CursorPage
from nodebyte_platform.api.views import PartnerView


class PaymentOut(serializers.Serializer):
    payment_id = serializers.UUIDField(source="public_id")
    type = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField(source="currency.code")
    coins = serializers.SerializerMethodField()
    refunded_amount = serializers.SerializerMethodField()
    refund_of = serializers.SerializerMethodField()
    gateway = serializers.CharField()
    description = serializers.CharField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_amount(self, payment) -> str:
        return payment.currency.format_amount(payment.amount)

    def get_coins(self, payment) -> str | None:
        return None if payment.coins is None else str(payment.coins.quantize(payment.currency.quantum))

    def get_refunded_amount(self, payment) -> str:
        return payment.currency.format_amount(payment.refunded_amount)

    def get_refund_of(self, payment) -> str | None:
        return str(payment.refund_of.public_id) if payment.refund_of_id else None


@extend_schema(
    tags=["wallet"],
    responses={200: PaymentOut(many=True), **error_responses(*READ_ERRORS)},
    examples=[
        OpenApiExample(
            "Payment",
            value={
                "payment_id": "0b6e8f3a-6d1c-4f0e-9b2a-1c3d5e7f9a0b",
                "type": "payment",
                "status": "completed",
                "amount": "4.99",
                "currency": "EUR",
                "coins": "550.00",
                "refunded_amount": "0.00",
                "refund_of": None,
                "gateway": "sandbox",
                "description": "Starter pack: 550 GCoins",
                "failure_reason": "",
                "created_at": "2026-01-05T10:00:00Z",
                "completed_at": "2026-01-05T10:00:09Z",
            },
            response_only=True,
        )
    ],
)
class MyPaymentsView(PartnerView, ListAPIView):
    """The player's payments, top-ups and refunds, newest first, cursor-paginated."""

    required_scopes = ["wallet:read"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = PaymentOut
    pagination_class = CursorPage

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return payments_of(customer=player_of(self.request))
