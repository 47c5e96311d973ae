"""The one base of every refused operation, so the admin and the API render all of them alike."""


class DomainError(Exception):
    """A refusal with a stable `code` (shown to staff and partners) and an HTTP status for the API."""

    code = "domain_error"
    http_status = 400
    # Set on a refusal whose record (a finding, a hold) the service has already written outside its
    # own savepoint: a caller's enclosing transaction keeps that record instead of rolling it back,
    # and the API answers a replay of the same Idempotency-Key with the same refusal.
    recorded = False

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidState(DomainError):
    """The record is not in a state that allows this action (an invoice already paid, a ticket closed...).

    Each app's own `InvalidState` derives from this one and from the app's base error, so callers
    may catch either; the code and status are the same everywhere.
    """

    code = "invalid_state"
    http_status = 409
