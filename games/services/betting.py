"""Bets: placed with a declared maximum payout, settled once within the game's limits, or voided by staff.

Who bounds a payout: the bet itself (its odds or `max_payout`, declared when the stake is
taken), then the game's `BetLimit` for the bet's asset (a per-bet cap and the house's net
exposure per period, both set by platform staff). Settlement locks the limit row, so the
exposure check and the payout of two concurrent settlements queue instead of both passing.
A settlement the limits refuse is kept as a `BetLimitFinding` for staff; the refusal is
`recorded`, so the API keeps the finding although the request fails.
"""

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from games.errors import (
    AlreadySettled,
    BettingNotEnabled,
    ExposureLimitExceeded,
    InvalidPayout,
    InvalidRequest,
    InvalidState,
    PayoutCapExceeded,
)
from games.models import (
    Bet,
    BetExposure,
    BetLimit,
    BetLimitFinding,
    BetOutcome,
    BetStatus,
    ExposurePeriod,
    FindingReason,
    Game,
    GameSession,
    SessionStatus,
    period_start,
)
from games.selectors import playable_asset
from games.services.economy import initiator_for, require_own_studio
from games.signals import bet_settled
from ledger import selectors as ledger_selectors
from ledger.errors import InvalidAmount
from ledger.models import Asset, SystemWallet, TransferKind
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet

MAX_ODDS = Decimal(10000)


def _bet_limit(*, game: Game | None, asset: Asset, lock: bool = False) -> BetLimit | None:
    if game is None:
        return None
    limits = BetLimit.objects.filter(game=game, asset=asset)
    if lock:
        limits = limits.select_for_update()
    return limits.first()


def _declared_max_payout(*, amount: Decimal, asset: Asset, odds, max_payout) -> tuple[Decimal | None, Decimal]:
    """(odds, max_payout) of a new bet: exactly one of them is declared; odds derive the maximum."""
    if (odds is None) == (max_payout is None):
        raise InvalidRequest(
            "A bet declares either its odds or its maximum payout.", details={"odds": "or", "max_payout": "or"}
        )
    if odds is not None:
        try:
            odds = odds if isinstance(odds, Decimal) else Decimal(str(odds).strip())
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidRequest('Odds are a decimal string such as "2.50".', details={"odds": str(odds)})
        if not odds.is_finite() or odds <= 1 or odds > MAX_ODDS or odds != odds.quantize(Decimal("0.0001")):
            raise InvalidRequest(
                f"Decimal odds run above 1 up to {MAX_ODDS}, with at most 4 places.", details={"odds": str(odds)}
            )
        quantum = Decimal(1).scaleb(-asset.precision)
        return odds, (amount * odds).quantize(quantum, rounding=ROUND_DOWN)
    max_payout = to_amount(max_payout, asset=asset)
    if max_payout < amount:
        raise InvalidRequest(
            "A bet's maximum payout is at least its stake.",
            details={"max_payout": asset.format_amount(max_payout), "amount": asset.format_amount(amount)},
        )
    return None, max_payout


@transaction.atomic
def place_bet(
    *,
    session: GameSession,
    amount,
    asset: Asset | None = None,
    odds=None,
    max_payout=None,
    choice: str = "",
    idempotency_key: str | None = None,
    application=None,
) -> Bet:
    """Debit the stake from the player to the house and record the bet with its maximum payout.

    The asset must be one the session's game plays in (coins, fiat or the game's own credits)
    and one staff enabled bets in (a `BetLimit`); the declared maximum payout stays within it.
    """
    locked = (
        GameSession.objects.select_for_update(of=("self",))
        .select_related("customer__user", "asset", "game")
        .get(pk=session.pk)
    )
    if locked.status != SessionStatus.IN_PROGRESS:
        raise InvalidState("Bets are placed only in a running session.", details={"status": locked.status})
    if application is not None:
        require_own_studio(application=application, studio_id=locked.game.studio_id if locked.game else None)
    asset = asset or locked.asset or ledger_selectors.asset(code="COIN")
    if locked.game is not None:
        # Raises NotFound for an asset the game does not play in (another game's credits, loyalty points).
        asset = playable_asset(game=locked.game, code=asset.code)
    amount = to_amount(amount, asset=asset)
    odds, max_payout = _declared_max_payout(amount=amount, asset=asset, odds=odds, max_payout=max_payout)
    limit = _bet_limit(game=locked.game, asset=asset)
    if limit is None:
        raise BettingNotEnabled(f"This game takes no bets in {asset.code}.", details={"asset": asset.code})
    if max_payout > limit.max_payout_per_bet:
        raise PayoutCapExceeded(
            "The bet's maximum payout is above the game's cap per bet.",
            details={
                "max_payout": asset.format_amount(max_payout),
                "cap": asset.format_amount(limit.max_payout_per_bet),
            },
        )
    transfer = post_transfer(
        kind=TransferKind.BET,
        legs=[
            Leg(user_wallet(user=locked.customer.user, asset=asset), -amount),
            Leg(system_wallet(code=SystemWallet.HOUSE, asset=asset), amount),
        ],
        initiator=initiator_for(application),
        idempotency_key=idempotency_key,
        description=f"Bet on {locked.game.name}" if locked.game else "Bet",
        metadata={"session": str(locked.public_id), "choice": choice, "max_payout": str(max_payout)},
        application=application,
    )
    if idempotency_key:  # a retried call gets its bet back (the ledger replayed its stake transfer)
        existing = Bet.objects.filter(stake_transfer=transfer).first()
        if existing is not None:
            return existing
    return Bet.objects.create(
        session=locked,
        asset=asset,
        amount=amount,
        odds=odds,
        max_payout=max_payout,
        choice=choice,
        stake_transfer=transfer,
    )


def _checked_payout(bet: Bet, outcome: str, payout) -> Decimal:
    if outcome not in BetOutcome.values:
        raise InvalidRequest(f"Unknown outcome {outcome!r}.", details={"outcome": list(BetOutcome.values)})
    if payout is None:
        if outcome == BetOutcome.WIN:
            raise InvalidRequest("A winning bet needs a payout.", details={"payout": "required"})
        return bet.amount if outcome == BetOutcome.PUSH else Decimal(0)
    payout = to_amount(payout, asset=bet.asset, positive=False)
    shown = bet.asset.format_amount(payout)
    if payout < 0:
        raise InvalidAmount("A payout cannot be negative.", details={"payout": shown})
    if outcome == BetOutcome.LOSS and payout != 0:
        raise InvalidRequest("A lost bet pays nothing.", details={"payout": shown})
    if outcome == BetOutcome.PUSH and payout != bet.amount:
        raise InvalidRequest("A push returns exactly the stake.", details={"payout": shown})
    if outcome == BetOutcome.WIN and payout <= 0:
        raise InvalidRequest("A winning bet pays more than nothing.", details={"payout": shown})
    if outcome == BetOutcome.WIN and payout > bet.max_payout:
        raise InvalidPayout(
            "The payout is above the maximum this bet declared when it was placed.",
            details={"payout": shown, "max_payout": bet.asset.format_amount(bet.max_payout)},
        )
    return payout


def _limit_refusal(*, bet: Bet, limit: BetLimit, exposure: BetExposure, payout: Decimal):
    """The refusal (with its finding's fields) when the game's limits do not allow this payout, else None."""
    asset = bet.asset
    if payout > bet.amount and payout > limit.max_payout_per_bet:
        error = PayoutCapExceeded(
            "The payout is above the game's cap per bet; staff have been told.",
            details={"payout": asset.format_amount(payout), "cap": asset.format_amount(limit.max_payout_per_bet)},
        )
        return error, FindingReason.PER_BET_CAP, limit.max_payout_per_bet
    net = payout - bet.amount
    if net > 0 and exposure.net_payout + net > limit.exposure_limit:
        error = ExposureLimitExceeded(
            f"The house's exposure limit on this game for the {limit.get_exposure_period_display()} is reached; "
            "staff have been told.",
            details={
                "payout": asset.format_amount(payout),
                "exposure": asset.format_amount(exposure.net_payout),
                "limit": asset.format_amount(limit.exposure_limit),
                "period_start": exposure.period_start.isoformat(),
            },
        )
        return error, FindingReason.EXPOSURE_LIMIT, limit.exposure_limit
    return None


def settle_bet(*, bet: Bet, outcome: str, payout=None, application=None, when=None) -> Bet:
    """Record the outcome and credit the payout from the house, within the bet's and the game's limits.

    A bet settles once. Only the game's own studio settles (`application`, when given). A win
    above the bet's declared maximum is `invalid_payout`; above the game's per-bet cap or past
    its exposure limit for the period it is refused and a `BetLimitFinding` is written.
    """
    when = when or timezone.now()
    with transaction.atomic():
        locked = (
            Bet.objects.select_for_update(of=("self",))
            .select_related("asset", "session__customer__user", "session__game")
            .get(pk=bet.pk)
        )
        if locked.status != BetStatus.PLACED:
            raise AlreadySettled("This bet is already settled.", details={"status": locked.status})
        game = locked.session.game
        if application is not None:
            require_own_studio(application=application, studio_id=game.studio_id if game else None)
        payout = _checked_payout(locked, outcome, payout)
        # The limit row is the lock that orders every settlement of this game and asset.
        limit = _bet_limit(game=game, asset=locked.asset, lock=True)
        if limit is None and payout > locked.amount:
            raise BettingNotEnabled(
                f"This game has no bet limits in {locked.asset.code}: no win can be paid.",
                details={"asset": locked.asset.code},
            )
        refusal = None
        if limit is not None:
            exposure, _ = BetExposure.objects.get_or_create(
                limit=limit, period_start=period_start(limit.exposure_period, when)
            )
            refusal = _limit_refusal(bet=locked, limit=limit, exposure=exposure, payout=payout)
            if refusal is None:
                BetExposure.objects.filter(pk=exposure.pk).update(
                    net_payout=F("net_payout") + (payout - locked.amount), bets_settled=F("bets_settled") + 1
                )
        if refusal is None:
            if payout > 0:
                locked.payout_transfer = post_transfer(
                    kind=TransferKind.WIN,
                    legs=[
                        Leg(system_wallet(code=SystemWallet.HOUSE, asset=locked.asset), -payout),
                        Leg(user_wallet(user=locked.session.customer.user, asset=locked.asset), payout),
                    ],
                    # One payout per bet whatever the caller's key: the bet itself scopes it.
                    initiator=f"bet:{locked.public_id}",
                    idempotency_key="payout",
                    description=f"Won on {game.name}" if game else "Bet won",
                    metadata={"bet": str(locked.public_id), "outcome": outcome},
                    application=application,
                    allow_frozen=True,
                )
            locked.settle(outcome=outcome, payout=payout, when=when)
            locked.save()
            bet_settled.emit(key=f"bet:{locked.public_id}", bet_id=locked.pk)
            return locked
    error, reason, cap = refusal
    with transaction.atomic():
        BetLimitFinding.objects.create(
            bet=locked,
            limit=limit,
            reason=reason,
            requested_payout=payout,
            cap=cap,
            exposure_before=exposure.net_payout,
            application=application,
        )
    # The finding stands although the settlement fails: callers holding a transaction (the API's
    # idempotency record) keep it instead of rolling it back.
    error.recorded = True
    raise error


@transaction.atomic
def void_bet(*, bet: Bet, reason: str, created_by=None) -> Bet:
    """Cancel a placed bet and return its stake (staff action)."""
    locked = (
        Bet.objects.select_for_update(of=("self",))
        .select_related("asset", "session__customer__user", "stake_transfer__application")
        .get(pk=bet.pk)
    )
    if locked.status != BetStatus.PLACED:
        raise AlreadySettled("This bet is already settled.", details={"status": locked.status})
    post_transfer(
        kind=TransferKind.REFUND,
        legs=[
            Leg(system_wallet(code=SystemWallet.HOUSE, asset=locked.asset), -locked.amount),
            Leg(user_wallet(user=locked.session.customer.user, asset=locked.asset), locked.amount),
        ],
        initiator=f"bet:{locked.public_id}",
        idempotency_key="void",
        description=reason or "Bet voided",
        metadata={"bet": str(locked.public_id)},
        created_by=created_by,
        # The refund belongs with the bet's partner (its history shows it to that studio only).
        application=locked.stake_transfer.application if locked.stake_transfer_id else None,
        allow_frozen=True,
    )
    locked.void()
    locked.save()
    return locked


@transaction.atomic
def set_bet_limit(*, game: Game, asset: Asset, max_payout_per_bet, exposure_limit, exposure_period: str) -> BetLimit:
    """Enable bets on `game` in `asset` with these limits, or change them (platform staff only, by role)."""
    if exposure_period not in ExposurePeriod.values:
        raise InvalidRequest(f"Unknown exposure period {exposure_period!r}.", details={"period": exposure_period})
    playable_asset(game=game, code=asset.code)
    max_payout_per_bet = to_amount(max_payout_per_bet, asset=asset)
    exposure_limit = to_amount(exposure_limit, asset=asset)
    limit, _ = BetLimit.objects.update_or_create(
        game=game,
        asset=asset,
        defaults={
            "max_payout_per_bet": max_payout_per_bet,
            "exposure_limit": exposure_limit,
            "exposure_period": exposure_period,
        },
    )
    return limit


@transaction.atomic
def resolve_bet_limit_finding(*, finding: BetLimitFinding, resolved_by, note: str) -> BetLimitFinding:
    """Close a finding once staff have looked into it; the note says what they found."""
    if not note.strip():
        raise InvalidRequest("Resolving a finding needs a note.", details={"note": "required"})
    locked = BetLimitFinding.objects.select_for_update().get(pk=finding.pk)
    if locked.resolved:
        raise InvalidState("This finding is already resolved.", details={"finding": locked.pk})
    locked.resolved = True
    locked.resolved_by = resolved_by
    locked.resolved_at = timezone.now()
    locked.resolution_note = note.strip()
    locked.save(update_fields=["resolved", "resolved_by", "resolved_at", "resolution_note"])
    return locked
