"""Domain errors of the ledger. Each carries a stable `code` that the API and admin show."""

from nodebyte_platform import errors as platform_errors
from nodebyte_platform.errors import DomainError


class LedgerError(DomainError):
    code = "ledger_error"
    http_status = 400


class InvalidAmount(LedgerError):
    code = "invalid_amount"


class UnknownAsset(LedgerError):
    code = "unknown_asset"


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"
    http_status = 409


class BalanceOutOfRange(LedgerError):
    """The transfer would take a stored balance beyond what a balance can hold (numeric(20,4))."""

    code = "balance_out_of_range"
    http_status = 409


class AssetMismatch(LedgerError):
    code = "asset_mismatch"


class WalletFrozen(LedgerError):
    code = "wallet_frozen"
    http_status = 409


class UnbalancedTransfer(LedgerError):
    code = "unbalanced_transfer"


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    http_status = 409


class AlreadyReversed(LedgerError):
    code = "already_reversed"
    http_status = 409


class SelfApproval(LedgerError):
    """Maker-checker: the user who asked for an adjustment cannot approve it."""

    code = "self_approval"
    http_status = 403


class InvalidState(platform_errors.InvalidState, LedgerError):
    """An adjustment or finding is not in a state that allows this action (already decided, resolved)."""
