"""Domain errors of loyalty. Each carries a stable `code` that the API and admin show."""

from nodebyte_platform import errors as platform_errors
from nodebyte_platform.errors import DomainError


class LoyaltyError(DomainError):
    code = "loyalty_error"
    http_status = 400


class InvalidState(platform_errors.InvalidState, LoyaltyError):
    """The record is not in a state that allows this action (a grant already cancelled...)."""


class ValidationFailed(LoyaltyError):
    code = "validation_error"
