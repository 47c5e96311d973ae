"""Game sessions, free or metered per minute (bets are in `betting`).

Metered sessions hold money back instead of charging as they go: starting one moves
the first minutes (GAMES_SESSION_RESERVE_MINUTES, default 5) from the player's wallet
to the `reservations` system wallet; the beat task `games.expire_metered_sessions`
reserves more while the balance lasts and ends the session when it ran dry; ending it
charges every started minute (max(1, ceil(seconds / 60))) to revenue and releases the rest.
Each reservation and the final charge carry a per-session idempotency key, so a retry
never posts twice.
"""

import math
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from games.errors import InvalidState
from games.models import Game, GameSession, SessionStatus
from games.services.economy import require_own_studio
from games.signals import session_ended
from ledger import selectors as ledger_selectors
from ledger.errors import InsufficientFunds
from ledger.models import Asset, SystemWallet, TransferKind
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet


def reserve_minutes() -> int:
    return int(getattr(settings, "GAMES_SESSION_RESERVE_MINUTES", 5))


def minutes_played(seconds: int) -> int:
    """Every started minute is charged, the first one as soon as play starts: 0..60 s is 1, 61 s is 2."""
    return max(1, math.ceil(max(0, seconds) / 60))


def _session_initiator(session: GameSession) -> str:
    return f"session:{session.public_id}"


def _reserved_minutes(session: GameSession) -> int:
    return int(session.reserved_amount // session.price_per_minute)


def _reserve(session: GameSession, *, minutes: int, require: bool) -> int:
    """Hold up to `minutes` more minutes from the player's wallet; returns how many were held."""
    wallet = user_wallet(user=session.customer.user, asset=session.asset)
    affordable = int(wallet.balance // session.price_per_minute)
    count = min(minutes, affordable)
    if count <= 0:
        if require:
            raise InsufficientFunds(
                f"Insufficient {session.asset.code} balance for one minute of play.",
                details={
                    "asset": session.asset.code,
                    "available": session.asset.format_amount(wallet.balance),
                    "required": session.asset.format_amount(session.price_per_minute),
                },
            )
        return 0
    amount = session.price_per_minute * count
    session.reservation_count += 1
    post_transfer(
        kind=TransferKind.SESSION,
        legs=[
            Leg(wallet, -amount),
            Leg(system_wallet(code=SystemWallet.RESERVATIONS, asset=session.asset), amount),
        ],
        initiator=_session_initiator(session),
        idempotency_key=f"reserve:{session.reservation_count}",
        description=f"{count} minute(s) reserved",
        metadata={"session": str(session.public_id), "minutes": count},
        application=session.application,
    )
    session.reserved_amount += amount
    session.save(update_fields=["reserved_amount", "reservation_count"])
    return count


def _charge(session: GameSession) -> None:
    """Charge the minutes played from the reservation, release the rest (one transfer)."""
    cost = session.price_per_minute * minutes_played(session.duration_seconds or 0)
    if cost > session.reserved_amount:
        # Played past the reservation (the beat task was late): hold what the balance allows.
        shortfall_minutes = math.ceil((cost - session.reserved_amount) / session.price_per_minute)
        _reserve(session, minutes=shortfall_minutes, require=False)
        cost = min(cost, session.reserved_amount)
    reserved = session.reserved_amount
    legs = [Leg(system_wallet(code=SystemWallet.RESERVATIONS, asset=session.asset), -reserved)]
    if cost:
        legs.append(Leg(system_wallet(code=SystemWallet.REVENUE, asset=session.asset), cost))
    if reserved - cost:
        legs.append(Leg(user_wallet(user=session.customer.user, asset=session.asset), reserved - cost))
    if reserved:
        post_transfer(
            kind=TransferKind.SESSION,
            legs=legs,
            initiator=_session_initiator(session),
            idempotency_key="end",
            description=f"{minutes_played(session.duration_seconds or 0)} minute(s) played",
            metadata={"session": str(session.public_id), "charged": str(cost), "released": str(reserved - cost)},
            application=session.application,
            allow_frozen=True,
        )
    session.total_cost = cost
    session.reserved_amount = Decimal(0)


def _locked_session(session: GameSession) -> GameSession:
    return (
        GameSession.objects.select_for_update(of=("self",))
        .select_related("customer__user", "asset", "game", "application")
        .get(pk=session.pk)
    )


@transaction.atomic
def start_session(
    *,
    customer,
    game: Game,
    application=None,
    price_per_minute=None,
    asset: Asset | None = None,
    content_id: str = "",
    content_title: str = "",
    platform: str = "",
    metadata: dict | None = None,
) -> GameSession:
    """Start a session; a metered one (price_per_minute given) reserves its first minutes or fails whole."""
    if not game.is_active:
        raise InvalidState("This game is not active.")
    if application is not None:
        require_own_studio(application=application, studio_id=game.studio_id)
    price = None
    if price_per_minute is not None:
        asset = asset or ledger_selectors.asset(code="COIN")
        price = to_amount(price_per_minute, asset=asset)
    session = GameSession.objects.create(
        customer=customer,
        game=game,
        application=application,
        asset=asset,
        price_per_minute=price,
        content_id=content_id,
        content_title=content_title,
        platform=platform,
        metadata=metadata or {},
    )
    if price is not None:
        _reserve(session, minutes=reserve_minutes(), require=True)
    return session


@transaction.atomic
def end_session(*, session: GameSession, result: str = "", score=None, forfeit: bool = False, when=None) -> GameSession:
    """Complete (or forfeit) a running session; a metered one pays exactly its started minutes."""
    locked = _locked_session(session)
    if locked.status != SessionStatus.IN_PROGRESS:
        raise InvalidState("This session has already ended.", details={"status": locked.status})
    when = when or timezone.now()
    if forfeit:
        locked.forfeit(when=when)
    else:
        locked.complete(when=when, result=result, score=score)
    if locked.is_metered:
        _charge(locked)
    locked.save()
    session_ended.emit(key=f"session:{locked.public_id}", session_id=locked.pk)
    return locked


@transaction.atomic
def extend_session(*, session: GameSession, now=None) -> GameSession:
    """Keep a metered session's reservation ahead of its running cost; end it when the balance ran out.

    Reserves more once the minute being played is the last one held. When nothing more can be
    held and the held minutes are used up, the session ends at the moment they ran out and
    pays for all of them.
    """
    locked = _locked_session(session)
    if locked.status != SessionStatus.IN_PROGRESS or not locked.is_metered:
        return locked
    now = now or timezone.now()
    elapsed = max(0, int((now - locked.started_at).total_seconds()))
    held = _reserved_minutes(locked)
    if minutes_played(elapsed) < held:
        return locked
    added = _reserve(locked, minutes=reserve_minutes(), require=False)
    if added == 0 and elapsed >= held * 60:
        locked.complete(when=locked.started_at + timedelta(minutes=held))
        locked.metadata = {**locked.metadata, "end_reason": "balance_exhausted"}
        _charge(locked)
        locked.save()
        session_ended.emit(key=f"session:{locked.public_id}", session_id=locked.pk)
    return locked


def expire_metered_sessions(*, now=None, progress=None) -> dict:
    """The beat job: extend or end every running metered session (each in its own transaction).

    `progress` (the job runner's JobContext) hears of each session checked and each that failed.
    """
    now = now or timezone.now()
    counts = {"checked": 0, "ended": 0, "errors": 0}
    running = GameSession.objects.filter(status=SessionStatus.IN_PROGRESS, price_per_minute__isnull=False)
    for session in running.only("pk", "public_id").iterator():
        counts["checked"] += 1
        try:
            if extend_session(session=session, now=now).status != SessionStatus.IN_PROGRESS:
                counts["ended"] += 1
        except Exception as exc:  # one broken session must not stop the others; it is retried next run
            counts["errors"] += 1
            if progress is not None:
                progress.item_failed(exc, item=str(session.public_id))
        else:
            if progress is not None:
                progress.processed()
    return counts
