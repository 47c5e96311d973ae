"""Domain errors of the accounts app. Each carries a stable `code` that the API and admin show."""

from nodebyte_platform.errors import DomainError


class AccountsError(DomainError):
    code = "accounts_error"
    http_status = 400


class ValidationFailed(AccountsError):
    code = "validation_error"


class InvalidRole(AccountsError):
    code = "invalid_role"


class InvalidStudio(AccountsError):
    """A studio partner or studio staff member without a studio, or another role with one."""

    code = "invalid_studio"


class InvalidPartnerKind(AccountsError):
    code = "invalid_partner_kind"


class InvalidScope(AccountsError):
    """A scope the platform does not know, or default scopes outside the allowed ceiling."""

    code = "invalid_scope"


class CustomerErased(AccountsError):
    """An erased player's record stays as erasure left it: no return, no new personal data."""

    code = "customer_erased"
    http_status = 409


class EmailTaken(AccountsError):
    """Another account uses this address (addresses are unique, whatever their case)."""

    code = "email_taken"
    http_status = 409


class UsernameTaken(AccountsError):
    code = "username_taken"
    http_status = 409


class ImpersonationRefused(AccountsError):
    """Viewing the portal as this player is not this staff member's to do, or not possible."""

    code = "impersonation_refused"
    http_status = 403
