"""The kernel's own job: run the reactions whose next attempt is due (nodebyte_platform.events)."""

from nodebyte_platform.events import due_reactions, run_reaction
from nodebyte_platform.jobs import JobContext, job


@job("nodebyte_platform.retry_reactions")
def retry_reactions(ctx: JobContext) -> dict:
    """Run again the reactions to domain events that failed or were never queued, when they are due."""
    outcomes = {"done": 0, "failed": 0}
    for reaction_id in due_reactions().values_list("pk", flat=True)[:1000]:
        outcome = run_reaction(reaction_id=reaction_id)
        if outcome in outcomes:
            outcomes[outcome] += 1
            ctx.processed()
    return outcomes
