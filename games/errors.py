"""Domain errors of the games app; like ledger errors, each carries a stable `code` and `http_status`."""

from ledger.errors import LedgerError


class GameError(LedgerError):
    """Base of the games errors. It shares LedgerError's shape so one handler renders both."""

    code = "game_error"


class NotFound(GameError):
    code = "not_found"
    http_status = 404


class NotAllowed(GameError):
    code = "permission_denied"
    http_status = 403


class InvalidState(GameError):
    code = "invalid_state"
    http_status = 409


class AlreadySettled(GameError):
    code = "already_settled"
    http_status = 409


class InvalidRequest(GameError):
    code = "validation_error"
