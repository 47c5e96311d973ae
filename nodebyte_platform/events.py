"""Domain events and the reactions of the apps above: after commit, from an outbox, retried, once per event.

A lower app declares its events in signals.py and emits them inside the transaction of what
happened:

    bet_settled = DomainEvent("games.bet_settled")
    bet_settled.emit(key=f"bet:{bet.public_id}", bet_id=bet.pk)      # JSON-safe payload

An upper app reacts in a module its AppConfig.ready() imports:

    @bet_settled.reaction("loyalty.count_wagering")
    def count_wagering(payload): ...

`emit` writes one `Reaction` row per reaction in the caller's transaction (so a rolled-back
event leaves none, and a committed one cannot lose its reactions) and, once that transaction
commits, runs each as a task. A reaction's own writes commit together with its "done" mark, so it
takes effect exactly once per event key; a failure is recorded on the row and never reaches the
caller, and the job `nodebyte_platform.retry_reactions` runs due rows again with growing delays,
up to MAX_ATTEMPTS. The kernel imports no app: reactions register themselves.
"""

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from nodebyte_platform.models import Reaction, ReactionStatus

logger = logging.getLogger(__name__)

# Delay before the next attempt, by attempts made so far; the last one repeats.
BACKOFF = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6)]
MAX_ATTEMPTS = 10

REACTIONS: dict[str, Callable[[dict], None]] = {}


class DomainEvent:
    """Something that happened in a lower app that apps above may react to."""

    def __init__(self, name: str):
        self.name = name
        self.reactions: dict[str, Callable[[dict], None]] = {}

    def __repr__(self):
        return f"DomainEvent({self.name!r})"

    def reaction(self, name: str):
        """Register `handler(payload)` as the reaction `name` to this event."""

        def register(handler):
            self.reactions[name] = handler
            REACTIONS[name] = handler
            return handler

        return register

    def emit(self, *, key: str, **payload) -> None:
        """Record this occurrence's reactions in the current transaction; run them once it commits."""
        if not self.reactions:
            return
        now = timezone.now()
        Reaction.objects.bulk_create(
            [
                Reaction(reaction=name, event=self.name, event_key=key[:200], payload=payload, next_attempt_at=now)
                for name in self.reactions
            ],
            ignore_conflicts=True,  # the same occurrence emitted again adds nothing
        )
        pending = list(
            Reaction.objects.filter(
                reaction__in=list(self.reactions), event_key=key[:200], status=ReactionStatus.PENDING
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _dispatch(pending))


def _dispatch(reaction_ids: list[int]) -> None:
    for reaction_id in reaction_ids:
        try:
            run_reaction_task.delay(reaction_id)
        except Exception:  # the broker is down: the row stays pending for retry_reactions
            logger.exception("reaction %s: could not be queued; the retry job will run it", reaction_id)


@shared_task(name="nodebyte_platform.run_reaction")
def run_reaction_task(reaction_id: int) -> str:
    return run_reaction(reaction_id=reaction_id)


def run_reaction(*, reaction_id: int) -> str:
    """Run one pending reaction; its writes and its "done" mark commit together. Returns the outcome."""
    with transaction.atomic():
        row = (
            Reaction.objects.select_for_update(skip_locked=True)
            .filter(pk=reaction_id, status=ReactionStatus.PENDING)
            .first()
        )
        if row is None:
            return "not pending"  # done already, given up, or being run by someone else right now
        handler = REACTIONS.get(row.reaction)
        row.attempts += 1
        try:
            if handler is None:
                raise LookupError(f"No reaction {row.reaction!r} is registered in this process.")
            with transaction.atomic():
                handler(row.payload)
        except Exception as exc:  # recorded on the row and retried; never the caller's failure
            logger.exception("reaction %s on %s %s failed", row.reaction, row.event, row.event_key)
            row.last_error = "".join(traceback.format_exception(exc))
            if row.attempts >= MAX_ATTEMPTS:
                row.status = ReactionStatus.FAILED
            row.next_attempt_at = timezone.now() + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
            row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return "failed"
        row.status = ReactionStatus.DONE
        row.done_at = timezone.now()
        row.save(update_fields=["attempts", "status", "done_at"])
        return "done"


def due_reactions(*, now=None):
    """Pending reactions whose next attempt is due, oldest first."""
    now = now or timezone.now()
    return Reaction.objects.filter(status=ReactionStatus.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )


@transaction.atomic
def retry_reaction(*, reaction: Reaction) -> Reaction:
    """Staff: try a reaction again now, a given-up one included (its attempts start over)."""
    row = Reaction.objects.select_for_update().get(pk=reaction.pk)
    if row.status == ReactionStatus.DONE:
        return row
    if row.status == ReactionStatus.FAILED:
        row.attempts = 0
    row.status = ReactionStatus.PENDING
    row.next_attempt_at = timezone.now()
    row.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: _dispatch([row.pk]))
    return row
