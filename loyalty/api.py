"""Read-only loyalty views of the partner API v1: the player's profile (/me/) and loyalty standing.

/me/ lives here because its `tier` is loyalty data, and loyalty sits above games.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from loyalty.models import PlayerProfile, TierLevel
from loyalty.selectors import loyalty_overview
from nodebyte_platform.api.auth import PlayerToken, ScopedToken, player_of
from nodebyte_platform.api.errors import READ_ERRORS, error_responses


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
    wagering_percent = serializers.IntegerField()
    eligible_games = serializers.ListField(child=serializers.CharField())
    max_bet = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class ProgressOut(serializers.Serializer):
    lp_earned = serializers.CharField(help_text="LP earned in the rolling window that decides the tier.")
    window_days = serializers.IntegerField()
    next_tier = serializers.CharField(allow_null=True, help_text="Null at the top tier.")
    points_needed = serializers.CharField(allow_null=True)
    projected_date = serializers.DateField(allow_null=True, help_text="At the pace of the window; null if none.")
    percent = serializers.IntegerField()


class LoyaltyOut(serializers.Serializer):
    tier = serializers.CharField()
    segment = serializers.CharField()
    progress = ProgressOut()
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
                "progress": {
                    "lp_earned": "1520.00",
                    "window_days": 90,
                    "next_tier": "GOLD",
                    "points_needed": "3480.00",
                    "projected_date": "2026-09-14",
                    "percent": 30,
                },
                "balances": {"LP": "1520.00", "RP": "40.00", "BONUS": "25.00", "TICKETS": "3"},
                "active_bonuses": [
                    {
                        "bonus_id": "9b2d7c1e-4f3a-4e8b-9c0d-1a2b3c4d5e6f",
                        "reward_type": "BONUS_BALANCE",
                        "amount": "25.0000",
                        "currency": "BONUS",
                        "wagering_required": "250.0000",
                        "wagering_completed": "80.0000",
                        "wagering_percent": 32,
                        "eligible_games": ["slots", "roulette"],
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
    """The player's tier and progress to the next, LP/RP/BONUS/TICKETS balances and active bonuses with
    their wagering progress (the same standing as the portal's loyalty page)."""

    required_scopes = ["loyalty:read"]
    serializer_class = LoyaltyOut

    def get(self, request):
        customer = player_of(request)
        overview = loyalty_overview(customer=customer)
        progress = overview["progress"]
        bonuses = [
            {
                **bonus,
                "amount": str(bonus["amount"]),
                "wagering_required": str(bonus["wagering_required"]),
                "wagering_completed": str(bonus["wagering_completed"]),
                "max_bet": None if bonus["max_bet"] is None else str(bonus["max_bet"]),
            }
            for bonus in overview["bonuses"]
        ]
        return Response(
            LoyaltyOut(
                {
                    "tier": progress["tier"],
                    "segment": overview["segment"],
                    "progress": {
                        **progress,
                        "lp_earned": str(progress["lp_earned"]),
                        "points_needed": None if progress["points_needed"] is None else str(progress["points_needed"]),
                    },
                    "balances": overview["balances"],
                    "active_bonuses": bonuses,
                }
            ).data
        )
