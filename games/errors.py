"""Domain errors of the games app; like ledger errors, each carries a stable `code` and `http_status`."""

from ledger.errors import LedgerError
from nodebyte_platform import errors as platform_errors


class GameError(LedgerError):
    """Base of the games errors. It shares LedgerError's shape so one handler renders both."""

    code = "game_error"


class NotFound(GameError):
    code = "not_found"
    http_status = 404


class NotAllowed(GameError):
    code = "permission_denied"
    http_status = 403


class InvalidState(platform_errors.InvalidState, GameError):
    """The session, bet or game is not in a state that allows this action."""


class AlreadySettled(GameError):
    code = "already_settled"
    http_status = 409


class InvalidRequest(GameError):
    code = "validation_error"


class NameTaken(GameError):
    """A studio or game name, or a credit type or package name within its game, already in use."""

    code = "name_taken"
    http_status = 409


class InvalidPayout(GameError):
    """A win above the maximum payout the bet declared when it was placed."""

    code = "invalid_payout"


class BettingNotEnabled(GameError):
    """The game takes no bets in this asset: staff have set no BetLimit for it."""

    code = "betting_not_enabled"
    http_status = 409


class PayoutCapExceeded(GameError):
    """A payout above the game's cap per bet (set by staff)."""

    code = "payout_cap_exceeded"
    http_status = 409


class ExposureLimitExceeded(GameError):
    """The house's net losses on the game would pass its limit for the period."""

    code = "exposure_limit_exceeded"
    http_status = 409
