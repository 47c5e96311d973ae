"""Domain errors of billing. Each carries a stable `code` that the API and admin show."""


class BillingError(Exception):
    code = "billing_error"
    http_status = 400

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidState(BillingError):
    """The record is not in a state that allows this action (an invoice already paid...)."""

    code = "invalid_state"
    http_status = 409


class ValidationFailed(BillingError):
    code = "validation_error"
