from django import template

from ledger.selectors import open_findings_of_last_run

register = template.Library()


@register.simple_tag(takes_context=True)
def ledger_open_findings(context) -> int:
    """Open findings of the last reconciliation run, for staff who may view findings (else 0)."""
    request = context.get("request")
    if request is None or not request.user.has_perm("ledger.view_reconciliationfinding"):
        return 0
    return open_findings_of_last_run()
