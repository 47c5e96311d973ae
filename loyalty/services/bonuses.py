"""Bonus wagering, completion and expiry; points and credits that expire oldest-first.

Wagering counts only stakes at risk: a bet settled as a win or a loss. A push (stake returned),
a voided bet or a bet whose stake was refunded counts nothing. A grant counts a bet when it is in
an eligible game (by name or type; none listed: every game), within the grant's max bet, in an
asset the grant's `wager_with` allows (the bonus's own asset, a real-money asset, or either), and
at the contribution weight of the game's type (percent, default 100). A grant whose wagering is
met completes and converts what is left of its bonus, up to its amount, into the withdrawable
asset (Config LOYALTY_BONUS_CONVERTS_TO) by one ledger transfer; one that expires first forfeits
what is left by one ledger transfer and becomes EXPIRED.
"""

from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from constance import config
from django.db import transaction
from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.utils import timezone

from games.models import Bet, BetOutcome, BetStatus, CreditType
from ledger import selectors as ledger_selectors
from ledger.models import AMOUNT, AssetKind, SystemWallet, Transfer, TransferKind, Wallet
from ledger.services import Leg, post_transfer, system_wallet, user_wallet
from loyalty.models import CurrencyType, RewardGrant, RewardStatus
from loyalty.signals import bonus_expiring

REAL_MONEY = (AssetKind.PLATFORM, AssetKind.FIAT)
EXPIRING_NOTICE = timedelta(hours=24)


def _counts_for(grant: RewardGrant, bet: Bet) -> Decimal:
    """How much of this bet counts towards this grant's wagering (0: it does not count)."""
    game = bet.session.game
    playable = {game.name, game.type} if game is not None else set()
    if grant.eligible_games and not playable.intersection(grant.eligible_games):
        return Decimal(0)
    if grant.max_bet is not None and bet.amount > grant.max_bet:
        return Decimal(0)
    wager_with = grant.metadata.get("wager_with", "either")
    own_asset = bet.asset.code == grant.currency_type
    real = bet.asset.kind in REAL_MONEY
    if not ((wager_with in ("bonus", "either") and own_asset) or (wager_with in ("real", "either") and real)):
        return Decimal(0)
    weights = grant.metadata.get("contribution_weights") or {}
    weight = Decimal(weights.get(game.type, 100) if game is not None else 100)
    return (bet.amount * weight / 100).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


def _stake_refunded(bet: Bet) -> bool:
    return bet.stake_transfer_id is not None and Transfer.objects.filter(reverses_id=bet.stake_transfer_id).exists()


def record_wagering(*, bet: Bet) -> list[RewardGrant]:
    """Count a settled bet towards the wagering of the player's active bonuses; complete those met.

    Run once per settlement, after it commits (loyalty.reactions on `games.bet_settled`).
    """
    if bet.status != BetStatus.SETTLED or bet.outcome not in (BetOutcome.WIN, BetOutcome.LOSS):
        return []
    if _stake_refunded(bet):
        return []
    now = timezone.now()
    advanced = []
    with transaction.atomic():
        grants = (
            RewardGrant.objects.select_for_update(of=("self",))
            .select_related("customer__user")
            .filter(customer_id=bet.session.customer_id, status=RewardStatus.ACTIVE, wagering_required__gt=0)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .order_by("pk")
        )
        for grant in grants:
            if grant.wagering_completed >= grant.wagering_required:
                continue
            counted = _counts_for(grant, bet)
            if counted <= 0:
                continue
            grant.wagering_completed = min(grant.wagering_required, grant.wagering_completed + counted)
            if grant.wagering_completed >= grant.wagering_required:
                _complete(grant)
            grant.save()
            advanced.append(grant)
    return advanced


def _user_balance(*, user, code: str) -> Decimal:
    return Wallet.objects.filter(owner=user, asset__code=code).values_list("balance", flat=True).first() or Decimal(0)


def _complete(grant: RewardGrant) -> None:
    """Wagering met: convert what is left of the bonus (at most its amount) into withdrawable money."""
    grant.complete()
    if grant.currency_type != CurrencyType.BONUS:
        return
    user = grant.customer.user
    amount = min(grant.amount, _user_balance(user=user, code=CurrencyType.BONUS))
    target = ledger_selectors.asset(code=grant.metadata.get("converts_to") or config.LOYALTY_BONUS_CONVERTS_TO)
    amount = amount.quantize(Decimal(1).scaleb(-target.precision), rounding=ROUND_DOWN)
    if amount <= 0:
        grant.metadata = {**grant.metadata, "converted": "0"}
        return
    bonus = ledger_selectors.asset(code=CurrencyType.BONUS)
    transfer = post_transfer(
        kind=TransferKind.REWARD,
        legs=[
            Leg(user_wallet(user=user, asset=bonus), -amount),
            Leg(system_wallet(code=SystemWallet.BONUS_POOL, asset=bonus), amount),
            Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=target), -amount),
            Leg(user_wallet(user=user, asset=target), amount),
        ],
        initiator="system:loyalty",
        idempotency_key=f"bonus-converted:{grant.public_id}",
        description="Bonus wagering completed: converted to withdrawable balance",
        metadata={"grant": str(grant.public_id)},
    )
    grant.metadata = {**grant.metadata, "converted": str(amount), "conversion_transfer": str(transfer.public_id)}


def expire_bonuses(*, now: datetime | None = None, progress=None) -> dict:
    """Forfeit what is left of every active grant past its expiry and mark it EXPIRED; tell players
    about bonuses expiring within a day. Safe to run twice: each grant is locked and re-checked."""
    now = now or timezone.now()
    expired = forfeited = 0
    due = list(
        RewardGrant.objects.filter(status=RewardStatus.ACTIVE, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in due:
        with transaction.atomic():
            grant = RewardGrant.objects.select_for_update(of=("self",)).select_related("customer__user").get(pk=pk)
            if grant.status != RewardStatus.ACTIVE or grant.expires_at is None or grant.expires_at > now:
                continue
            if grant.currency_type == CurrencyType.BONUS:
                user = grant.customer.user
                amount = min(grant.amount, _user_balance(user=user, code=CurrencyType.BONUS))
                if amount > 0:
                    bonus = ledger_selectors.asset(code=CurrencyType.BONUS)
                    post_transfer(
                        kind=TransferKind.BONUS_EXPIRED,
                        legs=[
                            Leg(user_wallet(user=user, asset=bonus), -amount),
                            Leg(system_wallet(code=SystemWallet.BONUS_POOL, asset=bonus), amount),
                        ],
                        initiator="system:loyalty",
                        idempotency_key=f"bonus-expired:{grant.public_id}",
                        description="Bonus expired before its wagering was met",
                        metadata={"grant": str(grant.public_id)},
                        allow_frozen=True,
                    )
                    forfeited += 1
                grant.metadata = {**grant.metadata, "forfeited": str(amount)}
            grant.expire()
            grant.save()
            expired += 1
        if progress is not None:
            progress.processed()
    notified = _notify_expiring(now=now)
    return {"expired": expired, "forfeited": forfeited, "expiring_notified": notified}


def _notify_expiring(*, now: datetime) -> int:
    soon = RewardGrant.objects.filter(
        status=RewardStatus.ACTIVE, expires_at__gt=now, expires_at__lte=now + EXPIRING_NOTICE
    ).exclude(metadata__has_key="expiring_notified")
    count = 0
    for grant in soon.order_by("pk"):
        with transaction.atomic():
            bonus_expiring.emit(
                key=f"expiring:{grant.public_id}",
                customer_id=grant.customer_id,
                grant_id=str(grant.public_id),
                amount=str(grant.amount),
                asset=grant.currency_type,
                expires_at=grant.expires_at.isoformat(),
            )
            RewardGrant.objects.filter(pk=grant.pk).update(
                metadata={**grant.metadata, "expiring_notified": now.isoformat()}
            )
            count += 1
    return count


def _validities() -> list[tuple[int, int]]:
    """(asset id, days) for every balance that expires: LP by Config, credits by their CreditType."""
    pairs = []
    lp_days = int(config.LOYALTY_LP_VALIDITY_DAYS)
    if lp_days > 0:
        pairs.append((ledger_selectors.asset(code=CurrencyType.LP).pk, lp_days))
    pairs += list(CreditType.objects.filter(expiry_days__gt=0).values_list("asset_id", "expiry_days"))
    return pairs


def expire_points(*, now: datetime | None = None, progress=None) -> dict:
    """Expire points and credits older than their validity, oldest first.

    Spending and earlier expiries use up the oldest credits first, so what is still left of the
    credits received before the cut-off is what they received then minus everything that has
    left the wallet since it opened. One aggregate query per asset finds those wallets; each
    expires by one ledger transfer to the `expired` wallet (idempotent per wallet and day).
    """
    now = now or timezone.now()
    money = DecimalField(**AMOUNT)
    expired = 0
    for asset_id, days in _validities():
        cutoff = now - timedelta(days=days)
        wallets = (
            Wallet.objects.filter(asset_id=asset_id, owner__isnull=False, balance__gt=0)
            .annotate(
                old_credits=Sum(
                    Case(
                        When(postings__amount__gt=0, postings__created_at__lte=cutoff, then=F("postings__amount")),
                        default=Value(0),
                        output_field=money,
                    )
                ),
                debits=Sum(
                    Case(
                        When(postings__amount__lt=0, then=-F("postings__amount")), default=Value(0), output_field=money
                    )
                ),
            )
            .annotate(due=F("old_credits") - F("debits"))
            .filter(due__gt=0)
            .select_related("asset")
            .order_by("pk")
        )
        for wallet in wallets:
            amount = min(wallet.due, wallet.balance)
            with transaction.atomic():
                post_transfer(
                    kind=TransferKind.EXPIRY,
                    legs=[
                        Leg(wallet, -amount),
                        Leg(system_wallet(code=SystemWallet.EXPIRED, asset=wallet.asset), amount),
                    ],
                    initiator="system:loyalty",
                    idempotency_key=f"points-expired:{wallet.pk}:{now.date().isoformat()}",
                    description=f"{wallet.asset.code} older than {days} days expired",
                    metadata={"cutoff": cutoff.isoformat(), "days": days},
                    allow_frozen=True,
                )
            expired += 1
            if progress is not None:
                progress.processed()
    return {"wallets_expired": expired}


__all__ = ["expire_bonuses", "expire_points", "record_wagering"]
