"""Read-only loyalty views of the partner API v1: the player's profile (/me/) and loyalty standing.

/me/ lives here because its `tier` is loyalty data, and loyalty sits above games.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from ledger.models import Wallet
from loyalty.models import PlayerProfile, RewardGrant, RewardStatus, TierLevel
from nodebyte_platform.api.auth import PlayerToken, ScopedToken, player_of
from nodebyte_platform.api.errors import READ_ERRORS, error_responses

LOYALTY_ASSETS = ["LP", "RP", "BONUS", "TICKETS"]


def _tier_of(customer) -> str:
    return PlayerProfile.objects.filter(customer=customer).values_list("tier", flat=True).first() or TierLevel.BRONZE


class MeOut(serializers.Serializer):
    player_id = serializers.UUIDField()
    nickname = serializers.CharField()
    vip = serializers.CharField(allow_null=True)
    tier = serializers.CharField()


class BonusOut(serializers.Serializer):
    bonus_id = serializers.UUIDField()
    reward_type = serializers.CharField()
    amount = serializers.CharField()
    currency = serializers.CharField()
    wagering_required = serializers.CharField()
    wagering_completed = serializers.CharField()
    max_bet = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class LoyaltyOut(serializers.Serializer):
    tier = serializers.CharField()
    segment = serializers.CharField()
    balances = serializers.DictField(child=serializers.CharField(), help_text="LP, RP, BONUS, TICKETS.")
    active_bonuses = BonusOut(many=True)


class _PlayerView(GenericAPIView):
    permission_classes = [ScopedToken, PlayerToken]
    pagination_class = None


@extend_schema(
    tags=["player"],
    responses={200: MeOut, **error_responses(*READ_ERRORS)},
    examples=[
        OpenApiExample(
            "Me",
            value={
                "player_id": "3f1d2c4b-8a9e-4f70-b1c2-d3e4f5a6b7c8",
                "nickname": "ada",
                "vip": None,
                "tier": "BRONZE",
            },
            response_only=True,
        )
    ],
)
class MeView(_PlayerView):
    """The player behind the token: player_id, nickname, vip and loyalty tier."""

    required_scopes = ["profile:read"]
    serializer_class = MeOut

    def get(self, request):
        customer = player_of(request)
        return Response(
            MeOut(
                {
                    "player_id": customer.player_id,
                    "nickname": customer.nickname,
                    "vip": customer.vip,
                    "tier": _tier_of(customer),
                }
            ).data
        )


@extend_schema(
    tags=["player"],
    responses={200: LoyaltyOut, **error_responses(*READ_ERRORS)},
    examples=[
        OpenApiExample(
            "Loyalty",
            value={
                "tier": "SILVER",
                "segment": "WINNING",
                "balances": {"LP": "1520.00", "RP": "40.00", "BONUS": "25.00", "TICKETS": "3"},
                "active_bonuses": [
                    {
                        "bonus_id": "9b2d7c1e-4f3a-4e8b-9c0d-1a2b3c4d5e6f",
                        "reward_type": "BONUS_BALANCE",
                        "amount": "25.0000",
                        "currency": "BONUS",
                        "wagering_required": "250.0000",
                        "wagering_completed": "80.0000",
                        "max_bet": "5.0000",
                        "expires_at": "2026-02-01T00:00:00Z",
                    }
                ],
            },
            response_only=True,
        )
    ],
)
class LoyaltyView(_PlayerView):
    """The player's tier, LP/RP/BONUS/TICKETS balances and active bonuses with their wagering progress."""

    required_scopes = ["loyalty:read"]
    serializer_class = LoyaltyOut

    def get(self, request):
        customer = player_of(request)
        profile = PlayerProfile.objects.filter(customer=customer).only("tier", "segment").first()
        wallets = Wallet.objects.filter(owner_id=customer.user_id, asset__code__in=LOYALTY_ASSETS).select_related(
            "asset"
        )
        balances = {code: "0" for code in LOYALTY_ASSETS}
        for wallet in wallets:
            balances[wallet.asset.code] = wallet.asset.format_amount(wallet.balance)
        grants = RewardGrant.objects.filter(customer=customer, status=RewardStatus.ACTIVE).order_by("expires_at")[:50]
        bonuses = [
            {
                "bonus_id": grant.public_id,
                "reward_type": grant.reward_type,
                "amount": str(grant.amount),
                "currency": grant.currency_type,
                "wagering_required": str(grant.wagering_required),
                "wagering_completed": str(grant.wagering_completed),
                "max_bet": None if grant.max_bet is None else str(grant.max_bet),
                "expires_at": grant.expires_at,
            }
            for grant in grants
        ]
        return Response(
            LoyaltyOut(
                {
                    "tier": profile.tier if profile else TierLevel.BRONZE,
                    "segment": profile.segment if profile else "NEW",
                    "balances": balances,
                    "active_bonuses": bonuses,
                }
            ).data
        )
