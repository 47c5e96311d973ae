"""Domain events of the accounts app; apps above react to them (nodebyte_platform.events).

- customer_registered (key "customer:<player_id>", payload {"customer_id"}): a user became a
  player; apps above open what a player has (ledger.reactions: the COIN wallet).
- customer_archived (key "archived:<player_id>", payload {"customer_id"}): no money moves for them any more.
- customer_erased (key "erased:<player_id>", payload {"customer_id"}): their personal data was erased;
  scrub your own rows that hold it (ticket bodies, notification texts...), keep money rows as they are.
"""

from nodebyte_platform.events import DomainEvent

customer_registered = DomainEvent("accounts.customer_registered")
customer_archived = DomainEvent("accounts.customer_archived")
customer_erased = DomainEvent("accounts.customer_erased")
