"""Domain events of the games app; upper apps (loyalty, support) connect receivers in their ready().

Each is sent through transaction.on_commit, so a receiver never sees a rolled-back event.
"""

from django.dispatch import Signal

# sender=Bet, bet=<Bet> (settled: outcome, payout, amount, asset, session.customer)
bet_settled = Signal()
# sender=GameSession, session=<GameSession> (completed, forfeited or cancelled; total_cost set if metered)
session_ended = Signal()
# sender=Package, package=<Package>, customer=<Customer>, transfer=<Transfer>
package_purchased = Signal()
