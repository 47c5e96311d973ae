"""Refusals of hosting: the panel's own answers, carried with its `errors[]`, and our rules."""

from games.errors import GameError


class PanelError(GameError):
    """The panel answered with an error. `details["errors"]` is its `errors[]` (code, status, detail)."""

    code = "panel_error"
    http_status = 502

    def __init__(self, message: str, *, status: int | None = None, errors: list | None = None, details=None):
        details = {**(details or {}), "status": status, "errors": errors or []}
        super().__init__(message, details=details)
        self.status = status
        self.errors = errors or []


class PanelUnreachable(PanelError):
    """No answer (connection refused, timeout) or still 429/5xx after every retry: worth trying later."""

    code = "panel_unreachable"
    http_status = 503


class PanelAuthFailed(PanelError):
    """401/403: the API key is wrong, revoked or lacks the permission."""

    code = "panel_auth_failed"


class PanelNotFound(PanelError):
    code = "panel_not_found"
    http_status = 404


class PanelRejected(PanelError):
    """422 (or another 4xx): the panel refused what we sent; its `errors[]` say which field and why."""

    code = "panel_rejected"
    http_status = 422


class HostingRefused(GameError):
    """Our own rule refused the operation (no deployable node, no free allocation, not pushable...)."""

    code = "hosting_refused"
    http_status = 409
