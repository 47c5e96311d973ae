"""Domain events of the games app; apps above react to them (nodebyte_platform.events).

Each is emitted inside the transaction of what happened, with a JSON payload of ids; its
reactions run after that transaction commits, once per event key.
"""

from nodebyte_platform.events import DomainEvent

# key "bet:<public_id>", payload {"bet_id"}: a bet was settled (outcome and payout set).
bet_settled = DomainEvent("games.bet_settled")
# key "session:<public_id>", payload {"session_id"}: a session ended (completed, forfeited, cancelled).
session_ended = DomainEvent("games.session_ended")
# key "purchase:<transfer public_id>", payload {"package_id", "customer_id", "transfer_id"}.
package_purchased = DomainEvent("games.package_purchased")
