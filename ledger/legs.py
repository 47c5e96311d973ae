"""The legs of a transfer: what a caller asks to post, and what was posted."""

from dataclasses import dataclass
from decimal import Decimal

from ledger.models import Wallet


@dataclass(frozen=True)
class Leg:
    """One wallet's share of a transfer, signed: negative leaves the wallet."""

    wallet: Wallet
    amount: Decimal


@dataclass(frozen=True)
class PostedLeg:
    """A leg as it was posted (merged per wallet), with the wallet's balance after it (None for a
    wallet that tracks no balance). `post_transfer` leaves these on the transfer it has just
    written as `posted_legs`, so a caller showing the new balances reads no postings back."""

    wallet: Wallet
    amount: Decimal
    balance_after: Decimal | None
