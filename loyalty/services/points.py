"""Points: LP earned per settled wager, redemption of LP into RP or coins, staff adjustments.

Every movement is one ledger transfer. LP per wager is idempotent per bet (the bet scopes the
key), so a settlement replayed earns nothing twice.
"""

import json
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from constance import config
from django.db import transaction

from games.models import Bet, BetOutcome, BetStatus
from ledger import selectors as ledger_selectors
from ledger.models import AssetKind, SystemWallet, Transfer, TransferKind
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet
from loyalty.errors import ValidationFailed
from loyalty.models import CurrencyType, PlayerProfile, Tier, TierLevel

CENT = Decimal("0.01")
REDEEM_TARGETS = {"RP": "LOYALTY_REDEEM_RP_PER_LP", "COIN": "LOYALTY_REDEEM_COIN_PER_LP"}
ADJUSTABLE = (CurrencyType.LP, CurrencyType.RP, CurrencyType.TICKETS)


def lp_rate(game_type: str | None) -> Decimal:
    """LP per unit staked for a game type (Config LOYALTY_LP_RATES, a JSON object with a "default")."""
    try:
        rates = json.loads(config.LOYALTY_LP_RATES or "{}")
        return Decimal(str(rates.get(game_type or "", rates.get("default", "0"))))
    except (ValueError, InvalidOperation, AttributeError):
        return Decimal(0)


def tier_benefit(tier_level: str, key: str, default: str) -> Decimal:
    benefits = Tier.objects.filter(tier_level=tier_level).values_list("benefits", flat=True).first() or {}
    try:
        return Decimal(str(benefits.get(key, default)))
    except InvalidOperation:
        return Decimal(default)


def earn_lp_for_bet(*, bet: Bet) -> Transfer | None:
    """Post the LP a settled wager earns: stake x rate of its game type x the tier's lp_multiplier.

    Only stakes at risk in real money earn (a push or a void earns nothing, nor do bonus bets);
    a blocked or frozen player earns nothing. One transfer per bet, whatever replays the settlement.
    """
    if bet.status != BetStatus.SETTLED or bet.outcome not in (BetOutcome.WIN, BetOutcome.LOSS):
        return None
    if bet.asset.kind not in (AssetKind.PLATFORM, AssetKind.FIAT):
        return None
    customer = bet.session.customer
    profile = PlayerProfile.objects.filter(customer=customer).only("tier", "is_blocked").first()
    if profile is not None and profile.is_blocked:
        return None
    if ledger_selectors.freeze_reason(user=customer.user) is not None:
        return None  # a frozen player's wallets move nothing; retrying would not change that
    tier = profile.tier if profile else TierLevel.BRONZE
    game = bet.session.game
    points = (bet.amount * lp_rate(game.type if game else None) * tier_benefit(tier, "lp_multiplier", "1")).quantize(
        CENT, rounding=ROUND_DOWN
    )
    if points <= 0:
        return None
    lp = ledger_selectors.asset(code=CurrencyType.LP)
    return post_transfer(
        kind=TransferKind.REWARD,
        legs=[
            Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=lp), -points),
            Leg(user_wallet(user=customer.user, asset=lp), points),
        ],
        initiator=f"bet:{bet.public_id}",
        idempotency_key="loyalty-lp",
        description=f"LP earned on {game.name}" if game else "LP earned",
        reference=str(bet.public_id),
        metadata={"bet": str(bet.public_id), "lp_earned": str(points), "tier": tier},
    )


def redemption_rate(target: str) -> Decimal:
    if target not in REDEEM_TARGETS:
        raise ValidationFailed(f"LP converts to {' or '.join(REDEEM_TARGETS)}.", details={"field": "target"})
    return Decimal(str(getattr(config, REDEEM_TARGETS[target])))


@transaction.atomic
def redeem_points(*, customer, target: str, lp_amount, idempotency_key: str) -> Transfer:
    """Convert a player's LP into RP or coins at the Config rate, by one transfer (replays return it)."""
    rate = redemption_rate(target)
    if not (idempotency_key or "").strip():
        raise ValidationFailed("A redemption needs an idempotency key.", details={"field": "idempotency_key"})
    lp = ledger_selectors.asset(code=CurrencyType.LP)
    amount = to_amount(lp_amount, asset=lp)
    into = ledger_selectors.asset(code=target)
    value = (amount * rate).quantize(Decimal(1).scaleb(-into.precision), rounding=ROUND_DOWN)
    if value <= 0:
        raise ValidationFailed(
            f"{amount} LP is worth less than the smallest {target} amount at {rate} per LP.",
            details={"field": "lp_amount", "rate": str(rate)},
        )
    user = customer.user
    return post_transfer(
        kind=TransferKind.REWARD,
        legs=[
            Leg(user_wallet(user=user, asset=lp), -amount),
            Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=lp), amount),
            Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=into), -value),
            Leg(user_wallet(user=user, asset=into), value),
        ],
        initiator=f"user:{user.pk}",
        idempotency_key=f"redeem:{idempotency_key.strip()[:200]}",
        description=f"{lp.format_amount(amount)} LP redeemed for {into.format_amount(value)} {target}",
        metadata={"redeemed_lp": str(amount), "target": target, "value": str(value), "rate": str(rate)},
    )


@transaction.atomic
def adjust_points(*, customer, currency: str, amount, reason: str, by, idempotency_key: str) -> Transfer:
    """Staff add (positive) or deduct (negative) LP, RP or tickets, with a reason; the transfer keeps
    who and why. Nobody adjusts their own balance, and one move is at most Config LOYALTY_ADJUST_MAX."""
    if currency not in ADJUSTABLE:
        raise ValidationFailed(f"Staff adjust {', '.join(ADJUSTABLE)}.", details={"field": "currency"})
    if not (reason or "").strip():
        raise ValidationFailed("An adjustment needs a reason.", details={"field": "reason"})
    if by is None or not by.is_staff:
        raise ValidationFailed("Only staff adjust points.", details={"field": "by"})
    if by.pk == customer.user_id:
        raise ValidationFailed("Nobody adjusts their own points.", details={"field": "customer"})
    asset = ledger_selectors.asset(code=currency)
    value = to_amount(amount, asset=asset, positive=False)
    if value == 0:
        raise ValidationFailed("An adjustment moves more than nothing.", details={"field": "amount"})
    limit = Decimal(str(config.LOYALTY_ADJUST_MAX))
    if abs(value) > limit:
        raise ValidationFailed(f"One adjustment moves at most {limit}.", details={"field": "amount"})
    return post_transfer(
        kind=TransferKind.ADJUSTMENT,
        legs=[
            Leg(system_wallet(code=SystemWallet.ADJUSTMENTS, asset=asset), -value),
            Leg(user_wallet(user=customer.user, asset=asset), value),
        ],
        initiator=f"user:{by.pk}",
        idempotency_key=f"points:{idempotency_key}",
        description=reason.strip()[:500],
        metadata={"reason": reason.strip()[:500], "by": by.pk},
        created_by=by,
    )
