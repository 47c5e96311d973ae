"""Domain errors of support. Each carries a stable `code` that the API and admin show."""


class SupportError(Exception):
    code = "support_error"
    http_status = 400

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidState(SupportError):
    """The record is not in a state that allows this action (a ticket already closed...)."""

    code = "invalid_state"
    http_status = 409


class ValidationFailed(SupportError):
    code = "validation_error"
