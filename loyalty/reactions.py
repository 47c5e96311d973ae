"""Loyalty's reactions to events of the apps below it (registered by LoyaltyConfig.ready).

Each runs after the event's transaction commits, from the outbox, retried on failure, once per event.
"""

from accounts.models import Customer
from accounts.signals import customer_registered
from games.models import Bet, GameSession
from games.signals import bet_settled, session_ended
from ledger.signals import deposit_posted
from loyalty.services import earn_lp_for_bet, ensure_player_profile, record_wagering, refresh_player_metrics


def _bet(payload: dict) -> Bet:
    return Bet.objects.select_related("asset", "session__game", "session__customer__user").get(pk=payload["bet_id"])


@customer_registered.reaction("loyalty.open_profile")
def open_profile(payload: dict) -> None:
    """Every new player gets a profile (segment NEW, the lowest tier), whichever door registered them."""
    ensure_player_profile(customer=Customer.objects.get(pk=payload["customer_id"]))


@bet_settled.reaction("loyalty.count_wagering")
def count_wagering(payload: dict) -> None:
    """A settled bet advances the wagering of the player's active bonuses (once per bet)."""
    record_wagering(bet=_bet(payload))


@bet_settled.reaction("loyalty.earn_lp")
def earn_lp(payload: dict) -> None:
    """A settled wager earns LP at its game type's rate and the player's tier multiplier."""
    earn_lp_for_bet(bet=_bet(payload))


@bet_settled.reaction("loyalty.metrics_after_bet")
def metrics_after_bet(payload: dict) -> None:
    customer_id = Bet.objects.filter(pk=payload["bet_id"]).values_list("session__customer_id", flat=True).get()
    refresh_player_metrics(customer_ids=[customer_id])


@session_ended.reaction("loyalty.metrics_after_session")
def metrics_after_session(payload: dict) -> None:
    customer_id = GameSession.objects.filter(pk=payload["session_id"]).values_list("customer_id", flat=True).get()
    refresh_player_metrics(customer_ids=[customer_id])


@deposit_posted.reaction("loyalty.metrics_after_deposit")
def metrics_after_deposit(payload: dict) -> None:
    refresh_player_metrics(customer_ids=[payload["customer_id"]])
