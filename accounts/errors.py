"""Errors of the accounts app; each carries a stable `code` for the admin and the API."""


class AccountsError(Exception):
    """A refused accounts operation; `code` is stable for the admin and the API."""

    code = "accounts_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
