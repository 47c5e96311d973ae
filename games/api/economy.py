"""Partner API: buying packages with coins, spending and granting a game's credits (each once per key)."""

from drf_spectacular.utils import OpenApiExample, extend_schema

from accounts.models import Customer
from games import selectors, services
from games.api import serializers as s
from games.api.common import (
    EXAMPLE_GAME_ID,
    EXAMPLE_PLAYER_ID,
    EXAMPLE_TIME,
    EXAMPLE_TRANSACTION_ID,
    GAME_ID,
    OfCallersStudio,
)
from games.errors import NotFound
from ledger.models import Posting
from nodebyte_platform.api.auth import ClientToken, PlayerToken, ScopedToken
from nodebyte_platform.api.errors import WRITE_ERRORS, error_responses
from nodebyte_platform.api.views import IDEMPOTENCY_KEY_PARAMETER, IdempotentWriteView


def _player_legs(transfer, user) -> dict:
    """{asset code: leg} of the player's legs of `transfer`, each with `amount` and `balance_after`:
    as just posted when the ledger says (no query), else read back from its postings."""
    posted = getattr(transfer, "posted_legs", None)
    if posted is not None:
        return {leg.wallet.asset.code: leg for leg in posted if leg.wallet.owner_id == user.pk}
    postings = Posting.objects.filter(transfer_id=transfer.pk, wallet__owner=user).select_related("wallet__asset")
    return {posting.wallet.asset.code: posting for posting in postings}


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
class PurchaseView(OfCallersStudio, IdempotentWriteView):
    """Buy a package with the player's coins: coins out and credits in, in one ledger transfer."""

    required_scopes = ["purchases:write"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.PurchaseIn

    def write(self, data, game):
        package = selectors.package_of_game(game=game, package_id=data["package_id"])
        customer = self.player
        transfer = services.buy_package(customer=customer, package=package, application=self.request.auth.application)
        legs = _player_legs(transfer, customer.user)
        coin_leg, credit_leg = legs["COIN"], legs[package.credit_type.asset.code]
        coin, credits = coin_leg.wallet.asset, credit_leg.wallet.asset
        return s.PurchaseOut(
            {
                "transaction_id": transfer.public_id,
                "game_id": package.game.guid,
                "package_id": package.pk,
                "credit_type": package.credit_type.name,
                "coins_spent": coin.format_amount(-coin_leg.amount),
                "credits_received": credits.format_amount(credit_leg.amount),
                "coin_balance": coin.format_amount(coin_leg.balance_after),
                "credit_balance": credits.format_amount(credit_leg.balance_after),
                "created_at": transfer.created_at,
            }
        ).data


def _credit_move_body(transfer, customer, credit_type, amount) -> dict:
    leg = _player_legs(transfer, customer.user).get(credit_type.asset.code)
    asset = credit_type.asset
    return s.CreditMoveOut(
        {
            "transaction_id": transfer.public_id,
            "player_id": customer.player_id,
            "credit_type": credit_type.name,
            "amount": asset.format_amount(amount),
            "balance": asset.format_amount(leg.balance_after if leg else 0),
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
class CreditSpendView(OfCallersStudio, IdempotentWriteView):
    """Debit the player's credits of this game."""

    required_scopes = ["credits:spend"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.SpendIn

    def write(self, data, game):
        credit_type = selectors.credit_type_of_game(game=game, name=data["credit_type"])
        transfer = services.spend_credits(
            customer=self.player,
            credit_type=credit_type,
            amount=data["amount"],
            reference=data["reference"],
            description=data["description"],
            application=self.request.auth.application,
        )
        return _credit_move_body(transfer, self.player, credit_type, data["amount"])


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
class CreditGrantView(OfCallersStudio, IdempotentWriteView):
    """Credit a player with this game's credits (client-credentials token of the game's studio)."""

    required_scopes = ["credits:grant"]
    permission_classes = [ScopedToken, ClientToken]
    serializer_class = s.GrantIn

    def write(self, data, game):
        credit_type = selectors.credit_type_of_game(game=game, name=data["credit_type"])
        customer = Customer.objects.select_related("user").filter(player_id=data["player_id"]).first()
        if customer is None:
            raise NotFound("No such player.")
        transfer = services.grant_credits(
            application=self.request.auth.application,
            customer=customer,
            credit_type=credit_type,
            amount=data["amount"],
            reason=data["reason"],
        )
        return _credit_move_body(transfer, customer, credit_type, data["amount"])
