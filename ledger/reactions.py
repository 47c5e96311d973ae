"""The ledger's reactions to events of accounts (registered by LedgerConfig.ready)."""

from accounts.models import Customer
from accounts.signals import customer_registered
from ledger import selectors as ledger_selectors
from ledger.services import user_wallet


@customer_registered.reaction("ledger.open_coin_wallet")
def open_coin_wallet(payload: dict) -> None:
    """A new player gets an empty COIN wallet, so their balance reads 0.00 from the first page."""
    customer = Customer.objects.select_related("user").get(pk=payload["customer_id"])
    user_wallet(user=customer.user, asset=ledger_selectors.asset(code="COIN"))
