"""Domain errors of loyalty. Each carries a stable `code` that the API and admin show."""


class LoyaltyError(Exception):
    code = "loyalty_error"
    http_status = 400

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidState(LoyaltyError):
    """The record is not in a state that allows this action (a grant already cancelled...)."""

    code = "invalid_state"
    http_status = 409


class ValidationFailed(LoyaltyError):
    code = "validation_error"
