"""Writes of the games app: catalog, economy (purchases, credits), sessions, bets and their limits."""

from games.hosting.integrations import create_integration, update_integration
from games.services.betting import place_bet, resolve_bet_limit_finding, set_bet_limit, settle_bet, void_bet
from games.services.catalog import (
    create_credit_type,
    create_game,
    create_package,
    create_studio,
    set_active,
    update_credit_type,
    update_game,
    update_package,
    update_studio,
)
from games.services.economy import buy_package, grant_credits, spend_credits
from games.services.play import end_session, expire_metered_sessions, extend_session, minutes_played, start_session

__all__ = [
    "buy_package",
    "create_integration",
    "update_integration",
    "create_credit_type",
    "create_game",
    "create_package",
    "create_studio",
    "set_active",
    "update_credit_type",
    "update_game",
    "update_package",
    "update_studio",
    "end_session",
    "expire_metered_sessions",
    "extend_session",
    "grant_credits",
    "minutes_played",
    "place_bet",
    "resolve_bet_limit_finding",
    "set_bet_limit",
    "settle_bet",
    "spend_credits",
    "start_session",
    "void_bet",
]
