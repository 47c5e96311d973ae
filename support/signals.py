"""Domain events of support (nodebyte_platform.events); support/reactions.py wires them, like the
lower apps' events, to notifications and webhooks, so they reach people after commit, retried.

- ticket_replied (key "reply:<id>", payload {"ticket_id", "reply_id"}): staff answered a player
  in public (internal notes emit nothing).
- ticket_status_changed (key "status:<ticket public_id>:<status>:<time>", payload {"ticket_id",
  "status"}): a ticket was closed by staff or the auto-close job.
"""

from nodebyte_platform.events import DomainEvent

ticket_replied = DomainEvent("support.ticket_replied")
ticket_status_changed = DomainEvent("support.ticket_status_changed")
