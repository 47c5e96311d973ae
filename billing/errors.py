"""Domain errors of billing. Each carries a stable `code` that the API and admin show."""

from nodebyte_platform import errors as platform_errors
from nodebyte_platform.errors import DomainError


class BillingError(DomainError):
    code = "billing_error"
    http_status = 400


class InvalidState(platform_errors.InvalidState, BillingError):
    """The record is not in a state that allows this action (an invoice already paid...)."""


class ValidationFailed(BillingError):
    code = "validation_error"
