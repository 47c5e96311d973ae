from django import template

from nodebyte_platform.jobs import job_health

register = template.Library()


@register.simple_tag(takes_context=True)
def jobs_needing_attention(context) -> list:
    """Jobs whose last run failed or that are overdue, for staff who may view job runs (else none)."""
    request = context.get("request")
    if request is None or not request.user.has_perm("nodebyte_platform.view_jobrun"):
        return []
    return [health for health in job_health() if health.problem]
