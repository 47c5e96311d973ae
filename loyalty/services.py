"""Writes of the loyalty app: profiles, abuse signals and reward grants.

Balances move only through the ledger; a grant's money is its `transfer`, and
cancelling an active grant reverses that transfer in the same DB transaction.
"""

from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ledger.models import Asset, SystemWallet, TransferKind
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
    """Block or unblock a player: rule evaluation skips blocked players, and their wallets move
    no money (a ledger freeze, `ledger.services.set_wallets_frozen`).

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
    metadata: dict | None = None,
    created_by=None,
) -> RewardGrant:
    """Grant a reward and credit it through the ledger in one transaction: the grant goes
    pending -> active with its transfer. Per rule, player and period a reward is granted once:
    asking again returns the first grant.
    """
    if reward_type not in RewardType.values or currency_type not in CurrencyType.values:
        raise ValidationFailed("Unknown reward type or currency.")
    asset = Asset.objects.get(code=currency_type)
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
                metadata=metadata or {},
            )
            source = SystemWallet.BONUS_POOL if currency_type == CurrencyType.BONUS else SystemWallet.ISSUANCE
            transfer = post_transfer(
                kind=TransferKind.BONUS_ISSUED if currency_type == CurrencyType.BONUS else TransferKind.REWARD,
                legs=[
                    Leg(system_wallet(code=source, asset=asset), -amount),
                    Leg(user_wallet(user=customer.user, asset=asset), amount),
                ],
                initiator=f"user:{created_by.pk}" if created_by else "system:loyalty",
                idempotency_key=f"reward:{grant.public_id}",
                description=f"{grant.get_reward_type_display()} reward",
                reference=rule.rule_id if rule else "",
                metadata={"grant": str(grant.public_id), "rule": rule.rule_id if rule else None},
                created_by=created_by,
            )
            grant.activate(transfer=transfer)
            grant.save()
            return grant
    except IntegrityError:
        # A twin request for the same rule, player and period committed first.
        if rule is not None and period_key:
            return RewardGrant.objects.get(rule=rule, customer=customer, period_key=period_key)
        raise


def record_wagering(*, bet) -> list[RewardGrant]:
    """Count a settled bet towards the wagering requirement of the player's active bonuses.

    A bet counts for a grant that is active, unexpired and still short of its requirement when
    the grant names no eligible games or names the bet's game (by name or type), and its stake
    is within the grant's `max_bet`. A grant whose wagering reaches the requirement completes.
    Run once per settlement, after it commits (loyalty.reactions.count_wagering on `games.bet_settled`).
    """
    game = bet.session.game
    playable = {game.name, game.type} if game is not None else set()
    now = timezone.now()
    advanced = []
    with transaction.atomic():
        grants = (
            RewardGrant.objects.select_for_update()
            .filter(customer_id=bet.session.customer_id, status=RewardStatus.ACTIVE, wagering_required__gt=0)
            .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))
            .order_by("pk")
        )
        for grant in grants:
            if grant.wagering_completed >= grant.wagering_required:
                continue
            if grant.eligible_games and not playable.intersection(grant.eligible_games):
                continue
            if grant.max_bet is not None and bet.amount > grant.max_bet:
                continue
            grant.wagering_completed = min(grant.wagering_required, grant.wagering_completed + bet.amount)
            if grant.wagering_completed >= grant.wagering_required:
                grant.complete()
            grant.save(update_fields=["wagering_completed", "status", "completed_at"])
            advanced.append(grant)
    return advanced
