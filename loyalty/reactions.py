"""Loyalty's reactions to events of the apps below it (registered by LoyaltyConfig.ready)."""

from games.models import Bet
from games.signals import bet_settled
from loyalty.services import record_wagering


@bet_settled.reaction("loyalty.count_wagering")
def count_wagering(payload: dict) -> None:
    """A settled bet advances the wagering of the player's active bonuses (once per bet)."""
    bet = Bet.objects.select_related("session__game", "session__customer").get(pk=payload["bet_id"])
    record_wagering(bet=bet)
