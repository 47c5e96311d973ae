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
]
