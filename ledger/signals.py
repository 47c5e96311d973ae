"""Events of the ledger that apps above react to (see nodebyte_platform/events.py)."""

from nodebyte_platform.events import DomainEvent

# A deposit (a completed payment or top-up) posted to a customer's wallet.
# Payload: transfer_id, customer_id, asset (code), amount (str).
deposit_posted = DomainEvent("ledger.deposit_posted")
