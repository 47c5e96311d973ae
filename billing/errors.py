"""Domain errors of billing. Each carries a stable `code` that the API and admin show."""

from nodebyte_platform.errors import DomainError


class BillingError(DomainError):
    code = "billing_error"
    http_status = 400


class InvalidState(BillingError):
    """The record is not in a state that allows this action (an invoice already paid...)."""

    code = "invalid_state"
    http_status = 409


class ValidationFailed(BillingError):
    code = "validation_error"
