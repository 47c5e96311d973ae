"""Events of billing that apps above react to (support's notifications; see nodebyte_platform/events.py).

Payloads are JSON-safe and carry `customer_id` (accounts.Customer pk).
"""

from nodebyte_platform.events import DomainEvent

# Payload: customer_id, payment_id (public id), kind, amount (str), currency, coins (str or None).
payment_completed = DomainEvent("billing.payment_completed")
# Payload: customer_id, payment_id, amount, currency, reason.
payment_failed = DomainEvent("billing.payment_failed")
# Payload: customer_id, payment_id, refund_id, amount, currency, reason.
payment_refunded = DomainEvent("billing.payment_refunded")
# Payload: customer_id, withdrawal_id, status, step, amount, currency.
withdrawal_changed = DomainEvent("billing.withdrawal_changed")
# Payload: customer_id, asset, balance (str), threshold (str).
balance_low = DomainEvent("billing.balance_low")
# Payload: customer_id, payment_id, reason, failures, disabled (bool).
auto_topup_failed = DomainEvent("billing.auto_topup_failed")
