"""Every write to the ledger. One transaction per use case; balances move only here.

`post_transfer` (in `transfers`) is the single door; adjustments and
reconciliation are built on it; `wallets` finds and freezes wallets. Import from `ledger.services`.
"""

from ledger.services.adjustments import adjust_balance, approval_threshold, approve_adjustment, reject_adjustment
from ledger.services.reconciliation import reconcile_ledger, resolve_finding
from ledger.services.transfers import (
    MAX_ABS_AMOUNT,
    Leg,
    gift,
    issue,
    post_transfer,
    reverse_transfer,
    to_amount,
)
from ledger.services.wallets import (
    ensure_base_assets,
    ensure_system_wallets,
    is_frozen,
    set_wallets_frozen,
    system_wallet,
    user_wallet,
    user_wallets,
)

__all__ = [
    "MAX_ABS_AMOUNT",
    "Leg",
    "adjust_balance",
    "ensure_base_assets",
    "approval_threshold",
    "approve_adjustment",
    "ensure_system_wallets",
    "gift",
    "is_frozen",
    "issue",
    "post_transfer",
    "reconcile_ledger",
    "reject_adjustment",
    "resolve_finding",
    "reverse_transfer",
    "set_wallets_frozen",
    "system_wallet",
    "to_amount",
    "user_wallet",
    "user_wallets",
]
