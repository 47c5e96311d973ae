"""Domain errors of loyalty. Each carries a stable `code` that the API and admin show."""

from nodebyte_platform.errors import DomainError


class LoyaltyError(DomainError):
    code = "loyalty_error"
    http_status = 400


class InvalidState(LoyaltyError):
    """The record is not in a state that allows this action (a grant already cancelled...)."""

    code = "invalid_state"
    http_status = 409


class ValidationFailed(LoyaltyError):
    code = "validation_error"
