"""Domain events of the accounts app. Apps above connect receivers in their AppConfig.ready().

- customer_archived(customer): a player was archived; no money moves for them any more.
- customer_erased(customer): a player's personal data was erased; scrub your own rows that
  hold it (ticket bodies, notification texts...), keep money rows as they are.
"""

from django.dispatch import Signal

customer_archived = Signal()
customer_erased = Signal()
