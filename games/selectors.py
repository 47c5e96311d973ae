"""Reads of the games app shared by the API, the admin and the portal."""

import uuid
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, Q

from games.errors import NotFound
from games.models import Bet, CreditType, Game, GameSession, Package
from ledger.models import Asset, AssetKind, Posting, Wallet


def _uuid_or_404(value, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"No such {what}.")


def studio_games(*, studio_id):
    """The active games of a studio with their credit types and packages on sale (3 queries in all)."""
    if studio_id is None:
        return Game.objects.none()
    return (
        Game.objects.filter(studio_id=studio_id, is_active=True)
        .prefetch_related(
            Prefetch("credit_types", queryset=CreditType.objects.select_related("asset").order_by("name")),
            Prefetch(
                "packages",
                queryset=Package.objects.filter(is_active=True).select_related("credit_type").order_by("gcoin_value"),
            ),
        )
        .order_by("name")
    )


def game_of_studio(*, studio_id, game_id) -> Game:
    """A studio's active game by its guid; another studio's game is simply not found."""
    guid = _uuid_or_404(game_id, "game")
    if studio_id is None:
        raise NotFound("No such game.")
    try:  # get(), not first(): no ORDER BY for a unique lookup
        return Game.objects.get(guid=guid, studio_id=studio_id, is_active=True)
    except Game.DoesNotExist:
        raise NotFound("No such game.")


def package_of_game(*, game: Game, package_id) -> Package:
    """A package on sale in `game`, with its credit type and asset (the game is the one given)."""
    try:
        package = Package.objects.select_related("credit_type__asset").get(game=game, pk=package_id, is_active=True)
    except Package.DoesNotExist:
        raise NotFound("No such package in this game.", details={"package_id": package_id})
    package.game = game
    return package


def credit_type_of_game(*, game: Game, name: str) -> CreditType:
    credit_type = CreditType.objects.select_related("game", "asset").filter(game=game, name=name).first()
    if credit_type is None:
        raise NotFound("No such credit type in this game.", details={"credit_type": name})
    return credit_type


def playable_asset(*, game: Game, code: str | None) -> Asset | None:
    """An asset a session or bet of `game` may be counted in: coins, fiat, or this game's own credits."""
    if not code:
        return None
    asset = (
        Asset.objects.filter(code=code)
        .filter(Q(kind__in=[AssetKind.PLATFORM, AssetKind.FIAT]) | Q(credit_type__game=game))
        .first()
    )
    if asset is None:
        raise NotFound("No such asset for this game.", details={"asset": code})
    return asset


def session_for(*, session_id, studio_id, customer=None) -> GameSession:
    """A session of the studio's games (and of `customer` when a player token asks)."""
    public_id = _uuid_or_404(session_id, "session")
    sessions = GameSession.objects.select_related("game", "asset", "customer").filter(
        public_id=public_id, game__studio_id=studio_id
    )
    if customer is not None:
        sessions = sessions.filter(customer=customer)
    session = sessions.first() if studio_id else None
    if session is None:
        raise NotFound("No such session.")
    return session


def bet_for(*, bet_id, studio_id, customer=None) -> Bet:
    public_id = _uuid_or_404(bet_id, "bet")
    bets = Bet.objects.select_related("session__game", "session__customer", "asset").filter(
        public_id=public_id, session__game__studio_id=studio_id
    )
    if customer is not None:
        bets = bets.filter(session__customer=customer)
    bet = bets.first() if studio_id else None
    if bet is None:
        raise NotFound("No such bet.")
    return bet


def _visible_to_studio(prefix: str, studio_id) -> Q:
    """Credit balances of other studios' games stay hidden from a partner; coins, fiat and loyalty show."""
    return ~Q(**{f"{prefix}kind": AssetKind.CREDIT}) | Q(**{f"{prefix}credit_type__game__studio_id": studio_id})


PLAYER_BALANCES_SQL = f"""
SELECT a.code, a.kind, a.label, a.precision, w.balance
FROM {Wallet._meta.db_table} w
JOIN {Asset._meta.db_table} a ON a.id = w.asset_id
LEFT JOIN {CreditType._meta.db_table} ct ON ct.asset_id = a.id
LEFT JOIN {Game._meta.db_table} g ON g.id = ct.game_id
WHERE w.owner_id = %s AND (a.kind <> %s OR g.studio_id = %s)
ORDER BY a.kind, a.code
"""


def player_balances(*, user_id, studio_id) -> list[dict]:
    """Every balance of a player a partner may see (`_visible_to_studio`), as the API answers it.

    The API's most frequent read, so one plain SQL statement: building and compiling the same
    query through the ORM cost several times what PostgreSQL spends running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(PLAYER_BALANCES_SQL, [user_id, AssetKind.CREDIT, studio_id])
        rows = cursor.fetchall()
    return [
        {
            "asset": code,
            "kind": kind,
            "label": label,
            "precision": precision,
            "balance": str(Decimal(balance).quantize(Decimal(1).scaleb(-precision))),
        }
        for code, kind, label, precision, balance in rows
    ]


def player_postings(*, user, studio_id):
    """A player's ledger history a partner may see; filtered and paged by the caller.

    Only legs in assets the partner may see, and only of transfers made by its own studio's
    applications or by the platform itself (deposits, rewards, payments): what a player did with
    another studio's game stays with that studio, even its COIN leg.
    """
    return (
        Posting.objects.filter(wallet__owner=user)
        .filter(_visible_to_studio("wallet__asset__", studio_id))
        .filter(Q(transfer__application__isnull=True) | Q(transfer__application__partner__studio_id=studio_id))
        .select_related("transfer", "wallet__asset")
    )


def customer_sessions(*, customer):
    return GameSession.objects.filter(customer=customer).select_related("game", "asset").order_by("-started_at")


def customer_bets(*, customer):
    return (
        Bet.objects.filter(session__customer=customer).select_related("session__game", "asset").order_by("-placed_at")
    )
