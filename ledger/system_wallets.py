"""The platform's own wallets, created for every asset.

Hot wallets (issuance, revenue, house) keep no stored balance, so that purchases
by different customers never wait on one row: their balance is the sum of their
postings. Wallets that money is created from (issuance, gateways, adjustments)
or paid out of (house) may go negative.
"""

from ledger.models import SystemWallet

# (system_code, tracks_balance, allow_negative)
SYSTEM_WALLETS = [
    (SystemWallet.ISSUANCE, False, True),
    (SystemWallet.REVENUE, False, True),
    (SystemWallet.HOUSE, False, True),
    (SystemWallet.GATEWAY_SANDBOX, False, True),
    (SystemWallet.ADJUSTMENTS, False, True),
    (SystemWallet.EXPIRED, False, True),
    (SystemWallet.PAYOUTS, True, False),
    (SystemWallet.RESERVATIONS, True, False),
    (SystemWallet.BONUS_POOL, False, True),
    (SystemWallet.GATEWAY_STRIPE, False, True),
    (SystemWallet.GATEWAY_BANK, False, True),
]

# The platform's own assets (code, kind, precision, label); migration 0002 and every post_migrate
# (so a test flush, too) make sure they exist with their system wallets.
BASE_ASSETS = [
    ("COIN", "platform", 2, "GCoin"),
    ("EUR", "fiat", 2, "Euro"),
    ("USD", "fiat", 2, "US dollar"),
    ("INR", "fiat", 2, "Indian rupee"),
    ("LP", "loyalty", 2, "Loyalty points"),
    ("RP", "loyalty", 2, "Reward points"),
    ("BONUS", "loyalty", 2, "Bonus balance"),
    ("TICKETS", "loyalty", 0, "Tickets"),
]
