"""Writes of the loyalty app: profiles, abuse signals, reward grants, tiers and reward rules.

Balances move only through the ledger; a grant's money is its `transfer`, and
cancelling an active grant reverses that transfer in the same DB transaction.
"""

from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simpleeval import SimpleEval

from ledger import selectors as ledger_selectors
from ledger.models import SystemWallet, TransferKind
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
    Tier,
    TierLevel,
)
from nodebyte_platform.fsm import transition
from nodebyte_platform.updates import save_changes


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


# --- the program: tiers and reward rules, as staff tune them ---------------------------

TIER_ORDER = list(TierLevel.values)  # BRONZE, SILVER, GOLD, PLATINUM: each range lies above the last


@transaction.atomic
def set_tier_range(*, tier: Tier, lp_min: int, lp_max: int | None, benefits: dict) -> list[Tier]:
    """Give a tier its LP range and benefits; returns every tier that changed, this one first.

    Every LP total falls in exactly one tier: the ranges follow the tier order without gap or
    overlap, start at 0 and only the top tier is open-ended. So moving a bound moves the matching
    bound of the neighbouring tier with it (BRONZE up to 1499 starts SILVER at 1500), and a move
    that would leave a neighbour no points at all is refused.
    """
    tiers = {t.tier_level: t for t in Tier.objects.select_for_update().order_by("pk")}
    if not isinstance(benefits, dict):
        raise ValidationFailed("A tier's benefits are a JSON object.", details={"field": "benefits"})
    if isinstance(lp_min, bool) or not isinstance(lp_min, int) or lp_min < 0:
        raise ValidationFailed("The lower bound is a whole number of LP, 0 or more.", details={"field": "lp_min"})
    levels = [level for level in TIER_ORDER if level in tiers]
    position = levels.index(tier.tier_level)
    top = position == len(levels) - 1
    if top != (lp_max is None):
        message = "Only the top tier is open-ended." if lp_max is None else "The top tier has no upper bound."
        raise ValidationFailed(message, details={"field": "lp_max"})
    if lp_max is not None and lp_max <= lp_min:
        raise ValidationFailed("The upper bound lies above the lower one.", details={"field": "lp_max"})
    if position == 0 and lp_min != 0:
        raise ValidationFailed("The lowest tier starts at 0 LP.", details={"field": "lp_min"})
    bounds = {level: [tiers[level].lp_min, tiers[level].lp_max] for level in levels}
    bounds[tier.tier_level] = [lp_min, lp_max]
    if position > 0:
        bounds[levels[position - 1]][1] = lp_min - 1
    if not top:
        bounds[levels[position + 1]][0] = lp_max + 1
    for level, (low, high) in bounds.items():
        if high is not None and high <= low:
            raise ValidationFailed(
                f"That would leave {tiers[level].get_tier_level_display()} without a range of points.",
                details={"field": "lp_max" if levels.index(level) > position else "lp_min"},
            )
    changed = []
    for level, (low, high) in bounds.items():
        values = {"lp_min": low, "lp_max": high}
        if level == tier.tier_level:
            values["benefits"] = benefits
        if save_changes(tiers[level], **values):
            changed.append(tiers[level])
    locked = tiers[tier.tier_level]
    return [locked, *[t for t in changed if t is not locked]]


REWARD_AMOUNT_KEYS = ("max_amount", "wagering_requirement", "expiry_hours")


def _reward_rule_values(*, name: str, description: str, priority: int, conditions, reward_config) -> dict:
    """Check a rule's parts: what it selects (`conditions`, an object) and what it gives
    (`reward_config`: a known reward `type`, a `formula` that parses as an expression, amounts
    that are numbers of 0 or more, `eligible_games` a list of names)."""
    if not (name or "").strip():
        raise ValidationFailed("A rule needs a name.", details={"field": "name"})
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ValidationFailed("The priority is a whole number.", details={"field": "priority"})
    if not isinstance(conditions, dict):
        raise ValidationFailed("A rule's conditions are a JSON object.", details={"field": "conditions"})
    if not isinstance(reward_config, dict):
        raise ValidationFailed("A rule's reward is a JSON object.", details={"field": "reward_config"})
    if reward_config.get("type") not in RewardType.values:
        raise ValidationFailed(
            f"The reward's type is one of {', '.join(RewardType.values)}.", details={"field": "reward_config"}
        )
    formula = reward_config.get("formula")
    if formula is not None:
        try:
            if not isinstance(formula, str):
                raise SyntaxError
            SimpleEval().parse(formula)
        except SyntaxError:
            raise ValidationFailed(f"The formula {formula!r} is not an expression.", details={"field": "reward_config"})
    for key in REWARD_AMOUNT_KEYS:
        value = reward_config.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise ValidationFailed(f"The reward's {key} is a number, 0 or more.", details={"field": "reward_config"})
    games = reward_config.get("eligible_games", [])
    if not isinstance(games, list) or not all(isinstance(game, str) for game in games):
        raise ValidationFailed("The reward's eligible_games is a list of names.", details={"field": "reward_config"})
    return {
        "name": name.strip(),
        "description": description or "",
        "priority": priority,
        "conditions": conditions,
        "reward_config": reward_config,
    }


@transaction.atomic
def create_reward_rule(
    *,
    rule_id: str,
    name: str,
    description: str = "",
    priority: int = 0,
    is_active: bool = True,
    conditions,
    reward_config,
) -> RewardRule:
    if RewardRule.objects.filter(rule_id=rule_id).exists():
        raise ValidationFailed(f"There is already a rule {rule_id!r}.", details={"field": "rule_id"})
    values = _reward_rule_values(
        name=name, description=description, priority=priority, conditions=conditions, reward_config=reward_config
    )
    return RewardRule.objects.create(rule_id=rule_id, is_active=bool(is_active), **values)


@transaction.atomic
def update_reward_rule(
    *, rule: RewardRule, name: str, description: str, priority: int, is_active: bool, conditions, reward_config
) -> RewardRule:
    """Change a rule; its `rule_id` stays, as the grants and ledger transfers it made name it."""
    locked = RewardRule.objects.select_for_update().get(pk=rule.pk)
    values = _reward_rule_values(
        name=name, description=description, priority=priority, conditions=conditions, reward_config=reward_config
    )
    save_changes(locked, is_active=bool(is_active), **values)
    return locked
