"""Views of the partner API v1 (games). Each reads through games.selectors and writes through games.services.

Who reaches what: a partner application reaches only its own studio's games (others are
404); a player token (authorization code) acts for that player only; money-moving POSTs
need an Idempotency-Key and are replayed from the first response.
"""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView

from accounts.models import Customer
from games import selectors, services
from games.api import serializers as s
from games.errors import NotFound
from games.models import Game
from ledger.models import Posting, TransferKind, Wallet
from nodebyte_platform.api import (
    IDEMPOTENCY_KEY_PARAMETER,
    READ_ERRORS,
    WRITE_ERRORS,
    ClientToken,
    CursorPage,
    PlayerToken,
    ScopedToken,
    error_responses,
    idempotent,
    player_of,
    studio_id_of,
)

GAME_ID = OpenApiParameter("game_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The game's guid.")
SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
BET_ID = OpenApiParameter("bet_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
EXAMPLE_GAME_ID = "7d4b1c0e-58e8-4d36-9a57-0f0c1b8f2a11"
EXAMPLE_PLAYER_ID = "3f1d2c4b-8a9e-4f70-b1c2-d3e4f5a6b7c8"
EXAMPLE_TRANSACTION_ID = "b6a1f0de-2c3b-4d5e-8f90-a1b2c3d4e5f6"
EXAMPLE_SESSION_ID = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
EXAMPLE_BET_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
EXAMPLE_TIME = "2026-01-15T12:00:00Z"


def _balance_after(transfer, user, asset) -> str:
    posting = Posting.objects.filter(transfer=transfer, wallet__owner=user, wallet__asset=asset).first()
    return s.money(posting.balance_after if posting else 0, asset)


class PartnerView(GenericAPIView):
    permission_classes = [ScopedToken]
    pagination_class = None

    def game(self):
        return selectors.game_of_studio(studio_id=studio_id_of(self.request), game_id=self.kwargs["game_id"])


# --- Catalog ------------------------------------------------------------------------


GAME_EXAMPLE = {
    "game_id": EXAMPLE_GAME_ID,
    "name": "Star Quiz",
    "description": "Daily trivia with a leaderboard.",
    "type": "quiz",
    "metadata": {},
    "credit_types": [{"name": "gems", "label": "Gems", "asset": "CR-1", "exchange_rate": 10, "expiry_days": None}],
    "packages": [
        {
            "package_id": 1,
            "name": "gems-small",
            "label": "100 Gems",
            "credit_type": "gems",
            "credit_value": 100,
            "gcoin_value": "10.00",
        }
    ],
}


@extend_schema(
    tags=["catalog"],
    responses={200: s.GameOut(many=True), **error_responses(*READ_ERRORS)},
    # drf-spectacular wraps a list example into the list itself: one item is given.
    examples=[OpenApiExample("Games", value=GAME_EXAMPLE, response_only=True)],
)
class GameListView(PartnerView, ListAPIView):
    """The partner's games, each with its credit types and packages on sale."""

    required_scopes = ["catalog:read"]
    serializer_class = s.GameOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Game.objects.none()
        return selectors.studio_games(studio_id=studio_id_of(self.request))


@extend_schema(tags=["catalog"], parameters=[GAME_ID], responses={200: s.GameOut, **error_responses(*READ_ERRORS)})
class GameDetailView(PartnerView, RetrieveAPIView):
    """One of the partner's games by its guid; another studio's game answers 404."""

    required_scopes = ["catalog:read"]
    serializer_class = s.GameOut

    def get_object(self):
        studio_id = studio_id_of(self.request)
        selectors.game_of_studio(studio_id=studio_id, game_id=self.kwargs["game_id"])
        return selectors.studio_games(studio_id=studio_id).get(guid=self.kwargs["game_id"])


# --- The player's wallets and history -----------------------------------------------


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
class WalletListView(PartnerView, ListAPIView):
    """Every balance of the player: coins, fiat, loyalty, and the credits of this partner's games."""

    required_scopes = ["wallet:read"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.WalletOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Wallet.objects.none()
        return selectors.player_wallets(user=self.request.auth.user_id, studio_id=studio_id_of(self.request))


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


# --- Purchases and credits ----------------------------------------------------------


@extend_schema(
    tags=["economy"],
    parameters=[GAME_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.PurchaseIn,
    responses={201: s.PurchaseOut, **error_responses(*WRITE_ERRORS)},
    examples=[
        OpenApiExample("Buy a package", value={"package_id": 1}, request_only=True),
        OpenApiExample(
            "Bought",
            value={
                "transaction_id": EXAMPLE_TRANSACTION_ID,
                "game_id": EXAMPLE_GAME_ID,
                "package_id": 1,
                "credit_type": "gems",
                "coins_spent": "10.00",
                "credits_received": "100",
                "coin_balance": "90.00",
                "credit_balance": "100",
                "created_at": EXAMPLE_TIME,
            },
            response_only=True,
            status_codes=["201"],
        ),
    ],
)
class PurchaseView(PartnerView):
    """Buy a package with the player's coins: coins out and credits in, in one ledger transfer."""

    required_scopes = ["purchases:write"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.PurchaseIn

    def post(self, request, game_id):
        game = self.game()
        customer = player_of(request)

        def handler(key):
            data = self.get_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            package = selectors.package_of_game(game=game, package_id=data.validated_data["package_id"])
            transfer = services.buy_package(
                customer=customer, package=package, idempotency_key=key, application=request.auth.application
            )
            player_legs = {
                p.wallet.asset.code: p
                for p in transfer.postings.filter(wallet__owner=customer.user).select_related("wallet__asset")
            }
            coin_leg, credit_leg = player_legs["COIN"], player_legs[package.credit_type.asset.code]
            return status.HTTP_201_CREATED, s.PurchaseOut(
                {
                    "transaction_id": transfer.public_id,
                    "game_id": game.guid,
                    "package_id": package.pk,
                    "credit_type": package.credit_type.name,
                    "coins_spent": s.money(-coin_leg.amount, coin_leg.wallet.asset),
                    "credits_received": s.money(credit_leg.amount, credit_leg.wallet.asset),
                    "coin_balance": s.money(coin_leg.balance_after, coin_leg.wallet.asset),
                    "credit_balance": s.money(credit_leg.balance_after, credit_leg.wallet.asset),
                    "created_at": transfer.created_at,
                }
            ).data

        return idempotent(request, handler)


def _credit_move_body(transfer, customer, credit_type, amount):
    return s.CreditMoveOut(
        {
            "transaction_id": transfer.public_id,
            "player_id": customer.player_id,
            "credit_type": credit_type.name,
            "amount": s.money(amount, credit_type.asset),
            "balance": _balance_after(transfer, customer.user, credit_type.asset),
            "created_at": transfer.created_at,
        }
    ).data


CREDIT_MOVE_EXAMPLE = OpenApiExample(
    "Moved",
    value={
        "transaction_id": EXAMPLE_TRANSACTION_ID,
        "player_id": EXAMPLE_PLAYER_ID,
        "credit_type": "gems",
        "amount": "25",
        "balance": "75",
        "created_at": EXAMPLE_TIME,
    },
    response_only=True,
    status_codes=["201"],
)


@extend_schema(
    tags=["economy"],
    parameters=[GAME_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.SpendIn,
    responses={201: s.CreditMoveOut, **error_responses(*WRITE_ERRORS)},
    examples=[
        OpenApiExample(
            "Spend credits",
            value={"credit_type": "gems", "amount": "25", "reference": "order-1", "description": "Sword"},
            request_only=True,
        ),
        CREDIT_MOVE_EXAMPLE,
    ],
)
class CreditSpendView(PartnerView):
    """Debit the player's credits of this game."""

    required_scopes = ["credits:spend"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.SpendIn

    def post(self, request, game_id):
        game = self.game()
        customer = player_of(request)

        def handler(key):
            data = self.get_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            credit_type = selectors.credit_type_of_game(game=game, name=data.validated_data["credit_type"])
            transfer = services.spend_credits(
                customer=customer,
                credit_type=credit_type,
                amount=data.validated_data["amount"],
                reference=data.validated_data["reference"],
                description=data.validated_data["description"],
                idempotency_key=key,
                application=request.auth.application,
            )
            return status.HTTP_201_CREATED, _credit_move_body(
                transfer, customer, credit_type, data.validated_data["amount"]
            )

        return idempotent(request, handler)


@extend_schema(
    tags=["economy"],
    parameters=[GAME_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.GrantIn,
    responses={201: s.CreditMoveOut, **error_responses(*WRITE_ERRORS)},
    examples=[
        OpenApiExample(
            "Grant credits",
            value={"player_id": EXAMPLE_PLAYER_ID, "credit_type": "gems", "amount": "25", "reason": "Tournament prize"},
            request_only=True,
        ),
        CREDIT_MOVE_EXAMPLE,
    ],
)
class CreditGrantView(PartnerView):
    """Credit a player with this game's credits (client-credentials token of the game's studio)."""

    required_scopes = ["credits:grant"]
    permission_classes = [ScopedToken, ClientToken]
    serializer_class = s.GrantIn

    def post(self, request, game_id):
        game = self.game()

        def handler(key):
            data = self.get_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            credit_type = selectors.credit_type_of_game(game=game, name=data.validated_data["credit_type"])
            customer = (
                Customer.objects.select_related("user").filter(player_id=data.validated_data["player_id"]).first()
            )
            if customer is None:
                raise NotFound("No such player.")
            transfer = services.grant_credits(
                application=request.auth.application,
                customer=customer,
                credit_type=credit_type,
                amount=data.validated_data["amount"],
                reason=data.validated_data["reason"],
                idempotency_key=key,
            )
            return status.HTTP_201_CREATED, _credit_move_body(
                transfer, customer, credit_type, data.validated_data["amount"]
            )

        return idempotent(request, handler)


# --- Sessions and bets --------------------------------------------------------------

SESSION_EXAMPLE = OpenApiExample(
    "Session",
    value={
        "session_id": EXAMPLE_SESSION_ID,
        "game_id": EXAMPLE_GAME_ID,
        "player_id": EXAMPLE_PLAYER_ID,
        "status": "in_progress",
        "metered": True,
        "asset": "COIN",
        "price_per_minute": "0.50",
        "reserved_amount": "2.50",
        "total_cost": None,
        "started_at": EXAMPLE_TIME,
        "ended_at": None,
        "duration_seconds": None,
        "result": "",
        "score": None,
    },
    response_only=True,
)


def _session_scope(request):
    """With a player token, only that player's sessions and bets; with client credentials, the studio's."""
    return {"studio_id": studio_id_of(request), "customer": player_of(request)}


@extend_schema(
    tags=["sessions"],
    parameters=[IDEMPOTENCY_KEY_PARAMETER],
    request=s.SessionStartIn,
    responses={201: s.SessionOut, **error_responses(*WRITE_ERRORS)},
    examples=[
        OpenApiExample(
            "Metered session",
            value={"game_id": EXAMPLE_GAME_ID, "price_per_minute": "0.50", "asset": "COIN"},
            request_only=True,
        ),
        SESSION_EXAMPLE,
    ],
)
class SessionStartView(PartnerView):
    """Start a session for the player; with price_per_minute it is metered and reserves its first minutes."""

    required_scopes = ["sessions:write"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.SessionStartIn

    def post(self, request):
        customer = player_of(request)

        def handler(key):
            data = self.get_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            game = selectors.game_of_studio(studio_id=studio_id_of(request), game_id=values["game_id"])
            asset = selectors.playable_asset(game=game, code=values.get("asset"))
            session = services.start_session(
                customer=customer,
                game=game,
                application=request.auth.application,
                price_per_minute=values.get("price_per_minute"),
                asset=asset,
                content_id=values["content_id"],
                content_title=values["content_title"],
                platform=values["platform"],
                metadata=values["metadata"],
            )
            return status.HTTP_201_CREATED, s.SessionOut(session).data

        return idempotent(request, handler)


@extend_schema(
    tags=["sessions"],
    parameters=[SESSION_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.SessionEndIn,
    responses={200: s.SessionOut, **error_responses(*WRITE_ERRORS)},
    examples=[OpenApiExample("End", value={"result": "win", "score": "120"}, request_only=True), SESSION_EXAMPLE],
)
class SessionEndView(PartnerView):
    """End a running session; a metered one is charged every started minute and the rest is released."""

    required_scopes = ["sessions:write"]
    serializer_class = s.SessionEndIn

    def post(self, request, session_id):
        session = selectors.session_for(session_id=session_id, **_session_scope(request))

        def handler(key):
            data = self.get_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            ended = services.end_session(
                session=session,
                result=data.validated_data["result"],
                score=data.validated_data["score"],
                forfeit=data.validated_data["forfeit"],
                when=timezone.now(),
            )
            return status.HTTP_200_OK, s.SessionOut(ended).data

        return idempotent(request, handler)


BET_EXAMPLE = OpenApiExample(
    "Bet",
    value={
        "bet_id": EXAMPLE_BET_ID,
        "session_id": EXAMPLE_SESSION_ID,
        "asset": "COIN",
        "amount": "5.00",
        "choice": "red",
        "odds": "2.0000",
        "max_payout": "10.00",
        "status": "placed",
        "outcome": "",
        "payout": "0.00",
        "placed_at": EXAMPLE_TIME,
        "settled_at": None,
    },
    response_only=True,
)


@extend_schema(
    tags=["sessions"],
    parameters=[SESSION_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.BetIn,
    responses={201: s.BetOut, **error_responses(*WRITE_ERRORS)},
    examples=[
        OpenApiExample("Place at odds", value={"amount": "5.00", "choice": "red", "odds": "2.00"}, request_only=True),
        OpenApiExample(
            "Place with a maximum payout", value={"amount": "5.00", "max_payout": "50.00"}, request_only=True
        ),
        BET_EXAMPLE,
    ],
)
class BetPlaceView(PartnerView):
    """Place a bet in the player's running session: the stake leaves the player's wallet.

    The bet declares its decimal odds or its maximum payout; a win is never paid more. The game must
    take bets in the asset (staff set its limits) and the maximum payout stays within its cap per bet.
    """

    required_scopes = ["sessions:write"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.BetIn

    def post(self, request, session_id):
        session = selectors.session_for(session_id=session_id, **_session_scope(request))

        def handler(key):
            data = self.get_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            asset = selectors.playable_asset(game=session.game, code=data.validated_data.get("asset"))
            bet = services.place_bet(
                session=session,
                amount=data.validated_data["amount"],
                asset=asset,
                odds=data.validated_data.get("odds"),
                max_payout=data.validated_data.get("max_payout"),
                choice=data.validated_data["choice"],
                idempotency_key=key,
                application=request.auth.application,
            )
            return status.HTTP_201_CREATED, s.BetOut(bet).data

        return idempotent(request, handler)


@extend_schema(
    tags=["sessions"],
    parameters=[BET_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.BetSettleIn,
    responses={200: s.BetOut, **error_responses(*WRITE_ERRORS)},
    examples=[OpenApiExample("Win", value={"outcome": "win", "payout": "10.00"}, request_only=True), BET_EXAMPLE],
)
class BetSettleView(PartnerView):
    """Settle a bet once: record the outcome and credit the payout. A second settle answers 409.

    Settlement belongs to the game's server: a client-credentials token of the game's own studio with
    `bets:settle` (a token a player granted is refused, whatever its scopes). A win pays at most the
    bet's declared maximum (`invalid_payout`) and within the game's cap per bet and the house's
    exposure limit for the period (`payout_cap_exceeded`, `exposure_limit_exceeded`: refused, and
    staff are shown a finding).
    """

    required_scopes = ["bets:settle"]
    permission_classes = [ScopedToken, ClientToken]
    serializer_class = s.BetSettleIn

    def post(self, request, bet_id):
        bet = selectors.bet_for(bet_id=bet_id, studio_id=studio_id_of(request))

        def handler(key):
            data = self.get_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            settled = services.settle_bet(
                bet=bet,
                outcome=data.validated_data["outcome"],
                payout=data.validated_data.get("payout"),
                application=request.auth.application,
            )
            return status.HTTP_200_OK, s.BetOut(settled).data

        return idempotent(request, handler)
