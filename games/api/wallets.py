"""Partner API: the player's balances and ledger history (wallet:read, a player's token)."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from games import selectors
from games.api import serializers as s
from games.api.common import EXAMPLE_TIME, EXAMPLE_TRANSACTION_ID
from ledger.models import Posting, TransferKind, Wallet
from nodebyte_platform.api.auth import PlayerToken, ScopedToken, studio_id_of
from nodebyte_platform.api.errors import READ_ERRORS, error_responses
from nodebyte_platform.api.pagination import CursorPage
from nodebyte_platform.api.views import PartnerView


@extend_schema(
    tags=["wallet"],
    responses={200: s.WalletOut(many=True), **error_responses(*READ_ERRORS)},
    examples=[
        OpenApiExample(
            "Wallets",
            value={"asset": "COIN", "kind": "platform", "label": "GCoin", "precision": 2, "balance": "90.00"},
            response_only=True,
        )
    ],
)
class WalletListView(PartnerView):
    """Every balance of the player: coins, fiat, loyalty, and the credits of this partner's games."""

    required_scopes = ["wallet:read"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.WalletOut  # the schema of each item; the selector builds them
    queryset = Wallet.objects.none()  # for the schema generator only

    def get(self, request):
        return Response(selectors.player_balances(user_id=request.auth.user_id, studio_id=studio_id_of(request)))


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, normalised to UTC: PostgreSQL refuses offsets beyond ±15:59, and a
    partner's odd offset must answer a validation error, not a database error."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class TransactionFilter(django_filters.FilterSet):
    asset = django_filters.CharFilter(field_name="wallet__asset__code", help_text="Asset code, e.g. COIN.")
    kind = django_filters.ChoiceFilter(field_name="transfer__kind", choices=TransferKind.choices)
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Posting
        fields = ["asset", "kind", "created_after", "created_before"]


@extend_schema(
    tags=["wallet"],
    responses={200: s.TransactionOut(many=True), **error_responses(*READ_ERRORS)},
    examples=[
        OpenApiExample(
            "History entry",
            value={
                "transaction_id": EXAMPLE_TRANSACTION_ID,
                "kind": "purchase",
                "asset": "COIN",
                "amount": "-10.00",
                "balance_after": "90.00",
                "description": "Bought 100 Gems",
                "reference": "package:1",
                "created_at": EXAMPLE_TIME,
            },
            response_only=True,
        )
    ],
)
class TransactionListView(PartnerView, ListAPIView):
    """The player's ledger history, newest first, cursor-paginated; one entry per balance moved."""

    required_scopes = ["wallet:read"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.TransactionOut
    pagination_class = CursorPage
    filterset_class = TransactionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Posting.objects.none()
        return selectors.player_postings(user=self.request.auth.user_id, studio_id=studio_id_of(self.request))
