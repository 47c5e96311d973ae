"""Domain errors of support. Each carries a stable `code` that the API and admin show."""

from nodebyte_platform import errors as platform_errors
from nodebyte_platform.errors import DomainError


class SupportError(DomainError):
    code = "support_error"
    http_status = 400


class InvalidState(platform_errors.InvalidState, SupportError):
    """The record is not in a state that allows this action (a ticket already closed...)."""


class ValidationFailed(SupportError):
    code = "validation_error"
