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


class NotAllowed(BillingError):
    """The user's role may not decide this (a refund, a payout, a bank payment)."""

    code = "permission_denied"
    http_status = 403


class SelfApproval(BillingError):
    """Maker-checker: nobody approves their own request or recording, nor approves it twice."""

    code = "self_approval"
    http_status = 403


class LimitExceeded(BillingError):
    code = "limit_exceeded"
    http_status = 409


class RefundRefused(BillingError):
    code = "refund_refused"
    http_status = 409
