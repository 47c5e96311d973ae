"""Reward grants, abuse signals and blocks: the writes every rule, job and staff action goes through.

Balances move only through the ledger; a grant's money is its `transfer`, and cancelling an
active grant reverses that transfer in the same DB transaction. A grant for a player with
unresolved abuse signals at or above Config LOYALTY_HOLD_SEVERITY is issued PENDING, with no
money moved, and waits in the admin's review queue for staff to release or cancel it.
"""

from datetime import timedelta
from decimal import Decimal

from constance import config
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger import selectors as ledger_selectors
from ledger.models import SystemWallet, Transfer, TransferKind
from ledger.selectors import freeze_reason
from ledger.services import (
    Leg,
    post_transfer,
    reverse_transfer,
    set_wallets_frozen,
    system_wallet,
    to_amount,
    user_wallet,
)
from loyalty.errors import InvalidState, ValidationFailed
from loyalty.models import (
    AbuseSignal,
    CurrencyType,
    PlayerProfile,
    RewardGrant,
    RewardRule,
    RewardStatus,
    RewardType,
)
from loyalty.signals import bonus_granted
from nodebyte_platform.fsm import transition


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
        transition(locked, "cancel", error=InvalidState)
        locked.metadata = {**locked.metadata, "cancel_reason": reason}
        locked.save()
        return locked


# The reason a loyalty block writes on the ledger freeze; unblocking lifts only a freeze with it.
BLOCK_FREEZE_REASON = "Player blocked in loyalty"


def set_player_blocked(*, profile: PlayerProfile, blocked: bool, by=None) -> PlayerProfile:
    """Block or unblock a player: a blocked player's wallets move no money, rewards included (a
    ledger freeze, `ledger.services.set_wallets_frozen`).

    A freeze placed for another reason (a fraud hold by support) is neither overwritten by a
    block nor lifted by an unblock.
    """
    with transaction.atomic():
        locked = (
            PlayerProfile.objects.select_for_update(of=("self",)).select_related("customer__user").get(pk=profile.pk)
        )
        if locked.is_blocked != blocked:
            locked.is_blocked = blocked
            locked.save(update_fields=["is_blocked", "updated_at"])
        user = locked.customer.user
        current = freeze_reason(user=user)
        if blocked and current is None:
            set_wallets_frozen(user=user, frozen=True, reason=BLOCK_FREEZE_REASON, by=by)
        elif not blocked and current == BLOCK_FREEZE_REASON:
            set_wallets_frozen(user=user, frozen=False)
        return locked


def ensure_player_profile(*, customer) -> PlayerProfile:
    """The customer's loyalty profile, created with the defaults (NEW, BRONZE) on first use."""
    profile, _ = PlayerProfile.objects.get_or_create(customer=customer)
    return profile


def record_abuse_signal(
    *, customer, signal_type: str, severity: int, description: str = "", metadata: dict | None = None
) -> AbuseSignal:
    if not 1 <= int(severity) <= 10:
        raise ValidationFailed("Severity runs from 1 to 10.", details={"severity": severity})
    if not signal_type.strip():
        raise ValidationFailed("A signal needs a type.")
    with transaction.atomic():
        return AbuseSignal.objects.create(
            customer=customer,
            signal_type=signal_type.strip()[:100],
            severity=int(severity),
            description=description[:500],
            metadata=metadata or {},
        )


def held_severity() -> int:
    return int(config.LOYALTY_HOLD_SEVERITY)


def is_held(*, customer) -> bool:
    """Whether new rewards for this player wait for review (unresolved signals at the hold severity)."""
    return AbuseSignal.objects.filter(customer=customer, is_resolved=False, severity__gte=held_severity()).exists()


def _credit(*, grant: RewardGrant, created_by=None) -> Transfer:
    asset = ledger_selectors.asset(code=grant.currency_type)
    bonus = grant.currency_type == CurrencyType.BONUS
    source = SystemWallet.BONUS_POOL if bonus else SystemWallet.ISSUANCE
    rule_id = grant.rule.rule_id if grant.rule_id else ""
    return post_transfer(
        kind=TransferKind.BONUS_ISSUED if bonus else TransferKind.REWARD,
        legs=[
            Leg(system_wallet(code=source, asset=asset), -grant.amount),
            Leg(user_wallet(user=grant.customer.user, asset=asset), grant.amount),
        ],
        initiator=f"user:{created_by.pk}" if created_by else "system:loyalty",
        idempotency_key=f"reward:{grant.public_id}",
        description=f"{grant.get_reward_type_display()} reward",
        reference=rule_id,
        metadata={"grant": str(grant.public_id), "rule": rule_id or None},
        created_by=created_by,
    )


def _activate(grant: RewardGrant, *, created_by=None) -> RewardGrant:
    """Credit the grant and make it active; a bonus's expiry runs from now (a held one's too)."""
    hours = grant.metadata.get("expiry_hours")
    if hours is not None and grant.expires_at is None:
        grant.expires_at = timezone.now() + timedelta(hours=float(hours))
    grant.activate(transfer=_credit(grant=grant, created_by=created_by))
    grant.save()
    bonus_granted.emit(
        key=f"grant:{grant.public_id}",
        customer_id=grant.customer_id,
        grant_id=str(grant.public_id),
        amount=str(grant.amount),
        asset=grant.currency_type,
        expires_at=grant.expires_at.isoformat() if grant.expires_at else None,
    )
    return grant


def issue_reward(
    *,
    customer,
    reward_type: str,
    amount,
    currency_type: str,
    rule: RewardRule | None = None,
    period_key: str = "",
    wagering_required=Decimal(0),
    max_bet=None,
    eligible_games: list | None = None,
    expires_at=None,
    expiry_hours=None,
    metadata: dict | None = None,
    created_by=None,
) -> RewardGrant:
    """Grant a reward and credit it through the ledger in one transaction (pending -> active with
    its transfer), or leave it PENDING for review when the player is held. Per rule, player and
    period a reward is granted once (a unique constraint): asking again returns the first grant.
    `expiry_hours` sets the expiry from the moment the money moves.
    """
    if reward_type not in RewardType.values or currency_type not in CurrencyType.values:
        raise ValidationFailed("Unknown reward type or currency.")
    asset = ledger_selectors.asset(code=currency_type)
    amount = to_amount(amount, asset=asset)
    wagering_required = to_amount(wagering_required, asset=asset, positive=False)
    if wagering_required < 0:
        raise ValidationFailed("Wagering cannot be negative.")
    if max_bet is not None:
        max_bet = to_amount(max_bet, asset=asset)
    if rule is not None and period_key:
        existing = RewardGrant.objects.filter(rule=rule, customer=customer, period_key=period_key).first()
        if existing is not None:
            return existing
    extra = dict(metadata or {})
    if expiry_hours is not None:
        extra["expiry_hours"] = str(expiry_hours)
    try:
        with transaction.atomic():
            grant = RewardGrant.objects.create(
                customer=customer,
                rule=rule,
                period_key=period_key,
                reward_type=reward_type,
                amount=amount,
                currency_type=currency_type,
                wagering_required=wagering_required,
                max_bet=max_bet,
                eligible_games=eligible_games or [],
                expires_at=expires_at,
                metadata=extra,
            )
            if is_held(customer=customer):
                grant.metadata = {**grant.metadata, "held": "abuse signals under review"}
                grant.save(update_fields=["metadata"])
                return grant
            return _activate(grant, created_by=created_by)
    except IntegrityError:
        # A twin request for the same rule, player and period committed first.
        if rule is not None and period_key:
            return RewardGrant.objects.get(rule=rule, customer=customer, period_key=period_key)
        raise


def release_reward_grant(*, grant: RewardGrant, reason: str, released_by) -> RewardGrant:
    """Staff: release a pending (held) reward: its money moves now. Who and why are kept on the grant."""
    if not (reason or "").strip():
        raise ValidationFailed("Releasing a reward needs a reason.", details={"field": "reason"})
    with transaction.atomic():
        locked = (
            RewardGrant.objects.select_for_update(of=("self",))
            .select_related("customer__user", "rule")
            .get(pk=grant.pk)
        )
        if locked.status != RewardStatus.PENDING:
            raise InvalidState(
                f"A {locked.get_status_display().lower()} reward cannot be released.",
                details={"grant": str(locked.public_id), "status": locked.status},
            )
        locked.metadata = {
            **locked.metadata,
            "released_by": released_by.pk if released_by else None,
            "release_reason": reason.strip(),
            "released_at": timezone.now().isoformat(),
        }
        return _activate(locked, created_by=released_by)


def pending_review():
    """The review queue: rewards held for abuse signals, oldest first."""
    return RewardGrant.objects.filter(status=RewardStatus.PENDING).order_by("created_at", "pk")
