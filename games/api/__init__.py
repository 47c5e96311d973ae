"""Partner API v1 of the games app: catalog, wallets, purchases, credits, sessions, bets."""
