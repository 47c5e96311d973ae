"""Content-Security-Policy: one strict policy for every page (settings.CONTENT_SECURITY_POLICY),
replaced, directive by directive, only under the path prefixes that cannot work under it
(settings.CONTENT_SECURITY_POLICY_BY_PATH, longest prefix first).

Why each widening exists is written beside it in settings.py. A view that needs an inline
script or style gives it the request's nonce (`{{ request.csp_nonce }}`), which the policy then
names; no nonce is sent on pages that use none.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def _replacements_for(path: str) -> dict | None:
    by_path = getattr(settings, "CONTENT_SECURITY_POLICY_BY_PATH", {})
    for prefix in sorted(by_path, key=len, reverse=True):
        if path.startswith(prefix):
            return by_path[prefix]
    return None


class PathPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        replacements = None if report_only else _replacements_for(request.path_info)
        if replacements:
            # A view's own @csp_replace still has the last word.
            parts.replace = {**replacements, **(parts.replace or {})}
        return parts
