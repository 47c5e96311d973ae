"""What reaches people when something happens below (or in support itself): one declarative table
from domain events to a notification type, a Discord event and a partner webhook event.

Each row becomes one reaction (nodebyte_platform.events): after the event's transaction commits,
retried, once per event. Its `notice` reads the payload and says whom to tell and with what; the
notification, the Discord deliveries and the partner deliveries are written in the reaction's own
transaction, so they all happen or none does. SupportConfig.ready() imports this module.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.models import Customer
from accounts.signals import customer_erased
from billing.signals import (
    auto_topup_failed,
    balance_low,
    payment_completed,
    payment_failed,
    payment_refunded,
    withdrawal_changed,
)
from games.models import Bet, GameSession
from games.signals import bet_settled, package_purchased, session_ended
from ledger import selectors as ledger_selectors
from loyalty.signals import bonus_expiring, bonus_granted, tier_changed
from nodebyte_platform.events import DomainEvent
from support.models import NotificationType, Ticket, TicketReply
from support.services import enqueue_discord_event, enqueue_partner_event, notify, scrub_customer
from support.signals import ticket_replied, ticket_status_changed


@dataclass(frozen=True)
class Notice:
    """Whom an event concerns and what to tell them."""

    customer: Customer
    context: dict
    topic: str = ""
    server: object = None  # a server's event also reaches that server's Discord webhooks
    # For partner webhooks: the event's data, and whose endpoints may see it.
    partner_data: dict = field(default_factory=dict)
    studio_id: int | None = None


@dataclass(frozen=True)
class Wire:
    event: DomainEvent
    notice: Callable[[dict], Notice | None]
    notification: str | None = None
    discord: str | None = None
    partner: str | None = None

    @property
    def reaction_name(self) -> str:
        return f"support.deliver:{self.event.name}"


def _ticket_url(ticket: Ticket) -> str:
    return f"/support/tickets/{ticket.public_id}/"


def _ticket_reply(payload: dict) -> Notice:
    reply = TicketReply.objects.select_related("ticket__customer__user").get(pk=payload["reply_id"])
    ticket = reply.ticket
    return Notice(
        customer=ticket.customer,
        context={
            "subject": ticket.subject,
            "author": "Support",
            "excerpt": reply.message.strip()[:200],
            "action_url": _ticket_url(ticket),
        },
        topic=f"ticket:{ticket.public_id}",
        server=ticket.server,
    )


def _ticket_status(payload: dict) -> Notice:
    ticket = Ticket.objects.select_related("customer__user", "server").get(pk=payload["ticket_id"])
    return Notice(
        customer=ticket.customer,
        context={
            "subject": ticket.subject,
            "status": dict(Ticket._meta.get_field("status").choices).get(payload["status"], payload["status"]).lower(),
            "action_url": _ticket_url(ticket),
        },
        topic=f"ticket:{ticket.public_id}",
        server=ticket.server,
    )


def _session_ended(payload: dict) -> Notice:
    session = GameSession.objects.select_related("customer__user", "game").get(pk=payload["session_id"])
    game = session.game
    return Notice(
        customer=session.customer,
        context={"game": game.name if game else session.content_title or "your game"},
        partner_data={
            "session_id": str(session.public_id),
            "game_id": str(game.guid) if game else None,
            "player_id": str(session.customer.player_id),
            "status": session.status,
            "result": session.result,
            "duration_seconds": session.duration_seconds,
            "total_cost": str(session.total_cost) if session.total_cost is not None else None,
        },
        studio_id=game.studio_id if game else None,
    )


def _bet_settled(payload: dict) -> Notice:
    bet = Bet.objects.select_related("session__customer__user", "session__game", "asset").get(pk=payload["bet_id"])
    game = bet.session.game
    return Notice(
        customer=bet.session.customer,
        context={"outcome": bet.get_outcome_display() if bet.outcome else bet.status},
        partner_data={
            "bet_id": str(bet.public_id),
            "session_id": str(bet.session.public_id),
            "player_id": str(bet.session.customer.player_id),
            "outcome": bet.outcome,
            "amount": str(bet.amount),
            "payout": str(bet.payout),
            "asset": bet.asset.code,
        },
        studio_id=game.studio_id if game else None,
    )


def _package_purchased(payload: dict) -> Notice:
    from games.models import Package

    package = Package.objects.select_related("game").get(pk=payload["package_id"])
    customer = Customer.objects.select_related("user").get(pk=payload["customer_id"])
    return Notice(
        customer=customer,
        context={"package": package.label or package.name},
        partner_data={
            "package_id": package.pk,
            "game_id": str(package.game.guid),
            "player_id": str(customer.player_id),
            "transfer_id": str(payload.get("transfer_id", "")),
        },
        studio_id=package.game.studio_id,
    )


def money_notice(payload: dict) -> Notice:
    """For the money events of billing and loyalty (shared events: customer_id, amount, asset...):
    the payload's own values are the notice's placeholders and the partners' data."""
    customer = Customer.objects.select_related("user").get(pk=payload["customer_id"])
    context = {k: v for k, v in payload.items() if k != "customer_id"}
    if "currency" in context:  # billing names a payment's asset its currency
        context.setdefault("asset", context["currency"])
    if context.get("asset") and context.get("amount"):
        # Stored amounts carry four places; a person reads the asset's own ("4.99 EUR").
        context["amount"] = ledger_selectors.asset(code=context["asset"]).format_amount(context["amount"])
    data = {**context, "player_id": str(customer.player_id)}
    return Notice(customer=customer, context=context, topic=str(payload.get("asset", "")), partner_data=data)


def _auto_topup_failed(payload: dict) -> Notice:
    from billing.models import Payment

    notice = money_notice(payload)
    charge = Payment.objects.select_related("currency").get(public_id=payload["payment_id"])
    reason = payload.get("reason") or "the card was refused"
    status = (
        f"switched off after {payload.get('failures')} failed tries ({reason})"
        if payload.get("disabled")
        else f"failed ({reason}); we will try again"
    )
    context = {**notice.context, "status": status, "amount": str(charge.amount), "asset": charge.currency.code}
    return Notice(customer=notice.customer, context=context, partner_data=notice.partner_data)


WIRING: list[Wire] = [
    Wire(ticket_replied, _ticket_reply, notification=NotificationType.TICKET_REPLY, discord="ticket.replied"),
    Wire(ticket_status_changed, _ticket_status, notification=NotificationType.TICKET_STATUS, discord="ticket.status"),
    Wire(session_ended, _session_ended, notification=NotificationType.SESSION_END, partner="session.ended"),
    Wire(bet_settled, _bet_settled, notification=NotificationType.SETTLEMENT, partner="bet.settled"),
    Wire(package_purchased, _package_purchased, notification=NotificationType.PURCHASE, partner="package.purchased"),
    # Money in and out (billing/signals.py).
    Wire(
        payment_completed,
        money_notice,
        notification=NotificationType.PAYMENT,
        discord="payment.completed",
        partner="payment.completed",
    ),
    Wire(payment_failed, money_notice, notification=NotificationType.PAYMENT_FAILED, partner="payment.failed"),
    Wire(payment_refunded, money_notice, notification=NotificationType.REFUND, partner="payment.refunded"),
    Wire(withdrawal_changed, money_notice, notification=NotificationType.WITHDRAWAL, partner="withdrawal.changed"),
    Wire(balance_low, money_notice, notification=NotificationType.LOW_BALANCE),
    Wire(auto_topup_failed, _auto_topup_failed, notification=NotificationType.AUTO_TOPUP),
    # The loyalty program (loyalty/signals.py).
    Wire(tier_changed, money_notice, notification=NotificationType.TIER_CHANGED),
    Wire(bonus_granted, money_notice, notification=NotificationType.BONUS_GRANTED),
    Wire(bonus_expiring, money_notice, notification=NotificationType.BONUS_EXPIRING),
]


def deliver(wire: Wire, payload: dict) -> None:
    notice = wire.notice(payload)
    if notice is None:
        return
    if wire.notification:
        notify(customer=notice.customer, type=wire.notification, context=notice.context, topic=notice.topic)
    key = f"{wire.event.name}:{sorted(payload.items())}"
    if wire.discord and notice.customer.erased_at is None:
        enqueue_discord_event(
            owner=notice.customer.user, event_type=wire.discord, key=key, context=notice.context, server=notice.server
        )
    if wire.partner:
        enqueue_partner_event(
            event_type=wire.partner,
            key=key,
            data=notice.partner_data,
            studio_id=notice.studio_id,
            user_id=None if notice.studio_id is not None else notice.customer.user_id,
        )


def _register(wire: Wire) -> None:
    wire.event.reaction(wire.reaction_name)(lambda payload: deliver(wire, payload))


for _wire in WIRING:
    _register(_wire)


@customer_erased.reaction("support.scrub_erased_customer")
def scrub_erased_customer(payload: dict) -> None:
    """Erasure reaches support: ticket texts, attachments, notifications (support.services.privacy)."""
    scrub_customer(customer=Customer.objects.select_related("user").get(pk=payload["customer_id"]))
