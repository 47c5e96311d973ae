"""Domain events of the loyalty app; support reacts to them (nodebyte_platform.events).

Payloads are JSON-safe and carry `customer_id`.
"""

from nodebyte_platform.events import DomainEvent

# key "tier:<customer_id>:<change id>", payload {customer_id, old, new, reason}.
tier_changed = DomainEvent("loyalty.tier_changed")
# key "grant:<public_id>", payload {customer_id, grant_id, amount, asset, expires_at}: a reward went active.
bonus_granted = DomainEvent("loyalty.bonus_granted")
# key "expiring:<public_id>", payload {customer_id, grant_id, amount, asset, expires_at}: a bonus
# expires within a day with its wagering unfinished (sent once per grant).
bonus_expiring = DomainEvent("loyalty.bonus_expiring")
# key "grace:<customer_id>:<date>", payload {customer_id, tier, downgrade_on}: the player's LP earned
# fell below their tier; they move down on `downgrade_on` unless they earn back (after_days policy).
tier_downgrade_pending = DomainEvent("loyalty.tier_downgrade_pending")
