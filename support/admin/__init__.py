"""Staff pages of support: tickets (queues, assignment, SLA, canned replies, the customer's
context), notifications, partner endpoints, Discord webhooks and their deliveries."""

from support.admin import notifications, tickets, webhooks  # noqa: F401
