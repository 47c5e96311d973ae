"""Writes of the loyalty app: abuse signals and reward grants.

Balances move only through the ledger; a grant's money is its `transfer`, and
cancelling an active grant reverses that transfer in the same DB transaction.
"""

from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from ledger.services import reverse_transfer
from loyalty.errors import InvalidState, ValidationFailed
from loyalty.models import AbuseSignal, PlayerProfile, RewardGrant, RewardStatus


def resolve_abuse_signal(*, signal: AbuseSignal, resolved_by, note: str = "") -> AbuseSignal:
    """Mark a signal resolved by a staff user. Resolving twice is refused (who and when stay the first)."""
    with transaction.atomic():
        locked = AbuseSignal.objects.select_for_update().get(pk=signal.pk)
        if locked.is_resolved:
            raise InvalidState("This signal is already resolved.", details={"signal": locked.pk})
        locked.is_resolved = True
        locked.resolved_at = timezone.now()
        locked.resolved_by = resolved_by
        if note:
            locked.metadata = {**locked.metadata, "resolution_note": note}
        locked.save(update_fields=["is_resolved", "resolved_at", "resolved_by", "metadata"])
        return locked


def cancel_reward_grant(*, grant: RewardGrant, reason: str, cancelled_by=None) -> RewardGrant:
    """Cancel a pending or active grant; an active grant's transfer is reversed (clawed back).

    The reversal fails with `insufficient_funds` when the player already spent the
    reward; then nothing changes.
    """
    if not reason.strip():
        raise ValidationFailed("Cancelling a reward needs a reason.")
    with transaction.atomic():
        locked = RewardGrant.objects.select_for_update(of=("self",)).select_related("transfer").get(pk=grant.pk)
        if locked.status not in (RewardStatus.PENDING, RewardStatus.ACTIVE):
            raise InvalidState(
                f"A {locked.get_status_display().lower()} reward cannot be cancelled.",
                details={"grant": str(locked.public_id), "status": locked.status},
            )
        if locked.status == RewardStatus.ACTIVE and locked.transfer is not None:
            reverse_transfer(
                transfer=locked.transfer,
                reason=f"Reward cancelled: {reason}",
                created_by=cancelled_by,
                initiator=f"user:{cancelled_by.pk}" if cancelled_by else "system:loyalty",
            )
        try:
            locked.cancel()
        except TransitionNotAllowed as exc:  # pragma: no cover - guarded by the status check above
            raise InvalidState(str(exc))
        locked.metadata = {**locked.metadata, "cancel_reason": reason}
        locked.save()
        return locked


def set_player_blocked(*, profile: PlayerProfile, blocked: bool, by=None) -> PlayerProfile:
    """Block or unblock a player from loyalty rewards (rule evaluation skips blocked players)."""
    with transaction.atomic():
        locked = PlayerProfile.objects.select_for_update().get(pk=profile.pk)
        if locked.is_blocked != blocked:
            locked.is_blocked = blocked
            locked.save(update_fields=["is_blocked", "updated_at"])
        return locked
