"""Staff pages of the loyalty program: players (profile, metrics, tier history, balances, grants),
the program (tiers; rules with Simulate, Explain and Backtest), and grants with the review queue."""

from loyalty.admin import grants, players, program  # noqa: F401  (each module registers its admins)
