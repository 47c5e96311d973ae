"""Player metrics from facts: ledger deposits, settled bets and ended game sessions.

Two paths give the same row (tests/loyalty/test_metrics.py compares them):
- `refresh_player_metrics(customer_ids=[...])`, the incremental path: the reactions to a settled
  bet, an ended session and a posted deposit rebuild that one player's row, after commit;
- `recompute_all_metrics()`, the full path: on PostgreSQL one `INSERT ... SELECT ... ON CONFLICT
  DO UPDATE` over every player (no Python loop); elsewhere (the SQLite demo) the same figures
  per player through the ORM, which is also the test oracle for the SQL.

What counts: deposits are positive postings on a player's platform or fiat wallets in transfers
of kind deposit, top-up or payment; wagering counts settled bets in those assets whose stake was
at risk (won or lost: a push returns the stake, a void never played); sessions count once ended.
Amounts of different platform and fiat assets add at face value (one play currency per deployment).
`as_of` replays the facts as they stood at that moment (Backtest).
"""

import statistics
from collections import Counter
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import Customer
from games.models import Bet, BetOutcome, BetStatus, GameSession
from ledger.models import AssetKind, Posting, TransferKind
from loyalty.models import AbuseSignal, PlayerMetrics

DEPOSIT_KINDS = (TransferKind.DEPOSIT, TransferKind.TOPUP, TransferKind.PAYMENT)
MONEY_KINDS = (AssetKind.PLATFORM, AssetKind.FIAT)
AT_RISK = (BetOutcome.WIN, BetOutcome.LOSS)
FOUR = Decimal("0.0001")
COLUMNS = [
    "total_deposited",
    "total_wagered",
    "total_won",
    "net_pnl",
    "house_edge_contribution",
    "total_sessions",
    "total_playtime_hours",
    "avg_session_duration",
    "total_bets",
    "avg_bet_size",
    "games_played",
    "win_loss_ratio",
    "volatility_score",
    "bonus_abuse_score",
    "last_deposit_at",
    "last_wager_at",
]


def _round4(value) -> Decimal:
    return Decimal(value).quantize(FOUR, rounding=ROUND_HALF_UP)


def _metrics_sql(*, some: bool) -> str:
    """The set-based statement; `some` limits it to the customers in %(ids)s."""
    t = {model: model._meta.db_table for model in (Customer, Posting, Bet, GameSession, PlayerMetrics, AbuseSignal)}
    tables = {
        "customer": t[Customer],
        "posting": t[Posting],
        "wallet": "ledger_wallet",
        "transfer": "ledger_transfer",
        "asset": "ledger_asset",
        "bet": t[Bet],
        "session": t[GameSession],
        "game": "games_game",
        "metrics": t[PlayerMetrics],
        "signal": t[AbuseSignal],
    }
    where = "WHERE c.id = ANY(%(ids)s)" if some else ""
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*COLUMNS, "computed_at"])
    return f"""
WITH cust AS (SELECT c.id AS customer_id, c.user_id FROM {tables["customer"]} c {where}),
dep AS (
    SELECT cust.customer_id, SUM(p.amount) AS total, MAX(t.created_at) AS last_at
    FROM cust
    JOIN {tables["wallet"]} w ON w.owner_id = cust.user_id
    JOIN {tables["asset"]} a ON a.id = w.asset_id AND a.kind IN %(money_kinds)s
    JOIN {tables["posting"]} p ON p.wallet_id = w.id AND p.amount > 0
    JOIN {tables["transfer"]} t ON t.id = p.transfer_id AND t.kind IN %(deposit_kinds)s
    WHERE t.created_at <= %(as_of)s
    GROUP BY cust.customer_id
),
bets AS (
    SELECT cust.customer_id,
           SUM(b.amount) AS wagered,
           SUM(CASE WHEN b.outcome = 'win' THEN b.payout ELSE 0 END) AS won,
           COUNT(*) AS n,
           SUM(CASE WHEN b.outcome = 'win' THEN 1 ELSE 0 END) AS wins,
           SUM(CASE WHEN b.outcome = 'loss' THEN 1 ELSE 0 END) AS losses,
           STDDEV_POP(b.payout - b.amount) AS spread,
           MAX(b.placed_at) AS last_at
    FROM cust
    JOIN {tables["session"]} s ON s.customer_id = cust.customer_id
    JOIN {tables["bet"]} b ON b.session_id = s.id AND b.status = %(settled)s AND b.outcome IN %(at_risk)s
    JOIN {tables["asset"]} a ON a.id = b.asset_id AND a.kind IN %(money_kinds)s
    WHERE b.settled_at <= %(as_of)s
    GROUP BY cust.customer_id
),
sess AS (
    SELECT cust.customer_id, COUNT(*) AS n, SUM(COALESCE(s.duration_seconds, 0)) AS seconds
    FROM cust JOIN {tables["session"]} s ON s.customer_id = cust.customer_id
    WHERE s.ended_at IS NOT NULL AND s.ended_at <= %(as_of)s
    GROUP BY cust.customer_id
),
per_game AS (
    SELECT cust.customer_id, g.type AS game_type, COUNT(*) AS n
    FROM cust
    JOIN {tables["session"]} s ON s.customer_id = cust.customer_id
    JOIN {tables["game"]} g ON g.id = s.game_id
    WHERE s.started_at <= %(as_of)s
    GROUP BY cust.customer_id, g.type
),
games AS (SELECT customer_id, jsonb_object_agg(game_type, n) AS played FROM per_game GROUP BY customer_id),
abuse AS (
    SELECT sig.customer_id, LEAST(MAX(sig.severity) * 10, 100) AS score
    FROM {tables["signal"]} sig JOIN cust ON cust.customer_id = sig.customer_id
    WHERE NOT sig.is_resolved AND sig.detected_at <= %(as_of)s
    GROUP BY sig.customer_id
)
INSERT INTO {tables["metrics"]} (customer_id, {", ".join(COLUMNS)}, computed_at)
SELECT cust.customer_id,
       COALESCE(dep.total, 0),
       COALESCE(bets.wagered, 0),
       COALESCE(bets.won, 0),
       COALESCE(bets.won, 0) - COALESCE(bets.wagered, 0),
       COALESCE(bets.wagered, 0) - COALESCE(bets.won, 0),
       COALESCE(sess.n, 0),
       ROUND(COALESCE(sess.seconds, 0)::numeric / 3600, 4),
       CASE WHEN sess.n > 0 THEN ROUND(sess.seconds::numeric / 60 / sess.n, 4) ELSE 0 END,
       COALESCE(bets.n, 0),
       CASE WHEN bets.n > 0 THEN ROUND(bets.wagered / bets.n, 4) ELSE 0 END,
       COALESCE(games.played, '{{}}'::jsonb),
       CASE WHEN bets.n > 0 THEN ROUND(bets.wins::numeric / GREATEST(bets.losses, 1), 4) ELSE 0 END,
       CASE WHEN bets.n > 0 AND bets.wagered > 0 THEN ROUND(bets.spread / (bets.wagered / bets.n), 4) ELSE 0 END,
       COALESCE(abuse.score, 0),
       dep.last_at,
       bets.last_at,
       %(now)s
FROM cust
LEFT JOIN dep ON dep.customer_id = cust.customer_id
LEFT JOIN bets ON bets.customer_id = cust.customer_id
LEFT JOIN sess ON sess.customer_id = cust.customer_id
LEFT JOIN games ON games.customer_id = cust.customer_id
LEFT JOIN abuse ON abuse.customer_id = cust.customer_id
ON CONFLICT (customer_id) DO UPDATE SET {updates}
"""


def _params(*, now: datetime, as_of: datetime, ids=None) -> dict:
    return {
        "ids": list(ids or []),
        "money_kinds": tuple(MONEY_KINDS),
        "deposit_kinds": tuple(DEPOSIT_KINDS),
        "settled": BetStatus.SETTLED,
        "at_risk": tuple(AT_RISK),
        "as_of": as_of,
        "now": now,
    }


def metrics_values(*, customer: Customer, as_of: datetime | None = None) -> dict:
    """One player's metric columns computed through the ORM (the SQLite path and the SQL's oracle)."""
    as_of = as_of or timezone.now()
    deposits = Posting.objects.filter(
        wallet__owner_id=customer.user_id,
        wallet__asset__kind__in=MONEY_KINDS,
        amount__gt=0,
        transfer__kind__in=DEPOSIT_KINDS,
        transfer__created_at__lte=as_of,
    ).aggregate(total=Sum("amount"), last_at=Max("transfer__created_at"))
    bets = list(
        Bet.objects.filter(
            session__customer=customer,
            status=BetStatus.SETTLED,
            outcome__in=AT_RISK,
            asset__kind__in=MONEY_KINDS,
            settled_at__lte=as_of,
        ).values_list("amount", "payout", "outcome", "placed_at")
    )
    sessions = GameSession.objects.filter(customer=customer, ended_at__isnull=False, ended_at__lte=as_of)
    session_count = sessions.count()
    seconds = sum(s or 0 for s in sessions.values_list("duration_seconds", flat=True))
    per_game = Counter(
        GameSession.objects.filter(customer=customer, game__isnull=False, started_at__lte=as_of).values_list(
            "game__type", flat=True
        )
    )
    abuse = AbuseSignal.objects.filter(customer=customer, is_resolved=False, detected_at__lte=as_of).aggregate(
        worst=Max("severity")
    )["worst"]
    wagered = sum((b[0] for b in bets), Decimal(0))
    won = sum((b[1] for b in bets if b[2] == BetOutcome.WIN), Decimal(0))
    wins = sum(1 for b in bets if b[2] == BetOutcome.WIN)
    losses = sum(1 for b in bets if b[2] == BetOutcome.LOSS)
    n = len(bets)
    volatility = Decimal(0)
    if n and wagered > 0:
        spread = statistics.pstdev([b[1] - b[0] for b in bets])
        volatility = _round4(spread / (wagered / n))
    return {
        "total_deposited": deposits["total"] or Decimal(0),
        "total_wagered": wagered,
        "total_won": won,
        "net_pnl": won - wagered,
        "house_edge_contribution": wagered - won,
        "total_sessions": session_count,
        "total_playtime_hours": _round4(Decimal(seconds) / 3600),
        "avg_session_duration": _round4(Decimal(seconds) / 60 / session_count) if session_count else Decimal(0),
        "total_bets": n,
        "avg_bet_size": _round4(wagered / n) if n else Decimal(0),
        "games_played": dict(per_game),
        "win_loss_ratio": _round4(Decimal(wins) / max(losses, 1)) if n else Decimal(0),
        "volatility_score": volatility,
        "bonus_abuse_score": min((abuse or 0) * 10, 100),
        "last_deposit_at": deposits["last_at"],
        "last_wager_at": max((b[3] for b in bets), default=None),
    }


def _write_python(customers, *, now: datetime) -> int:
    count = 0
    for customer in customers:
        values = metrics_values(customer=customer, as_of=now)
        PlayerMetrics.objects.update_or_create(customer=customer, defaults={**values, "computed_at": now})
        count += 1
    return count


@transaction.atomic
def refresh_player_metrics(*, customer_ids: list[int], now: datetime | None = None) -> int:
    """Rebuild the metrics rows of these players from their facts (the incremental path)."""
    now = now or timezone.now()
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_metrics_sql(some=True), _params(now=now, as_of=now, ids=ids))
            return cursor.rowcount
    return _write_python(Customer.objects.filter(pk__in=ids).order_by("pk"), now=now)


@transaction.atomic
def recompute_all_metrics(*, now: datetime | None = None) -> int:
    """Rebuild every player's metrics row; returns the rows written."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_metrics_sql(some=False), _params(now=now, as_of=now))
            return cursor.rowcount
    return _write_python(Customer.objects.order_by("pk").iterator(), now=now)


def metrics_as_of(*, as_of: datetime, customer_ids: list[int] | None = None) -> dict[int, dict]:
    """Every (or these) players' metrics as the facts stood at `as_of`, without writing (Backtest).

    On PostgreSQL the full statement runs inside a savepoint that is rolled back, so the stored
    rows stay as they are.
    """
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    sql = _metrics_sql(some=customer_ids is not None)
                    cursor.execute(
                        sql + " RETURNING customer_id, " + ", ".join(COLUMNS),
                        _params(now=as_of, as_of=as_of, ids=customer_ids),
                    )
                    rows = {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in cursor.fetchall()}
                raise _Discard(rows)
        except _Discard as discarded:
            return discarded.rows
    customers = Customer.objects.order_by("pk")
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    return {c.pk: metrics_values(customer=c, as_of=as_of) for c in customers}


class _Discard(Exception):
    def __init__(self, rows):
        self.rows = rows
