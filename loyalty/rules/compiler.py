"""Compile a rule's JSON into what runs: one `Q` (one SQL WHERE over metrics and profiles) for
its conditions, per-condition checks for Explain, and the reward it pays.

Conditions (seed 001's shape, every key optional, all must hold):
- `segment`, `tier`: one value or a list of values;
- `<metric>_min` / `<metric>_max` over the metrics in `RANGE_METRICS` (`net_loss_min: 100`,
  `session_count_min: 3`...);
- `days_since_last_deposit` / `days_since_last_wager`: `{"min": n, "max": n}` (a player who never
  deposited is infinitely long ago: passes any `min`, fails any `max`).

reward_config: `type` (a RewardType issued through the ledger), `formula` or a fixed `amount`,
`max_amount`, `wagering_requirement` (times the amount), `expiry_hours`, `eligible_games`, and
this engine's own optional keys: `period` (once, daily, weekly, monthly; default once),
`exclusive` (stops lower-priority rules for the players it grants), `wager_with` (bonus, real or
either: which bets count towards wagering), `contribution_weights` ({game type: percent}).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q

from loyalty.models import CurrencyType, RewardType, Segment, TierLevel
from loyalty.rules.formulas import FormulaInvalid, check_formula, evaluate_formula

# name in a condition or formula -> (PlayerMetrics field, sign): net_loss is net_pnl turned around.
RANGE_METRICS = {
    "net_loss": ("net_pnl", -1),
    "net_pnl": ("net_pnl", 1),
    "deposited": ("total_deposited", 1),
    "total_deposited": ("total_deposited", 1),
    "wagered": ("total_wagered", 1),
    "total_wagered": ("total_wagered", 1),
    "total_won": ("total_won", 1),
    "house_edge_contribution": ("house_edge_contribution", 1),
    "session_count": ("total_sessions", 1),
    "total_sessions": ("total_sessions", 1),
    "playtime_hours": ("total_playtime_hours", 1),
    "avg_session_duration": ("avg_session_duration", 1),
    "bet_count": ("total_bets", 1),
    "total_bets": ("total_bets", 1),
    "avg_bet_size": ("avg_bet_size", 1),
    "win_loss_ratio": ("win_loss_ratio", 1),
    "volatility_score": ("volatility_score", 1),
    "bonus_abuse_score": ("bonus_abuse_score", 1),
}
DAYS_SINCE = {"days_since_last_deposit": "last_deposit_at", "days_since_last_wager": "last_wager_at"}
CHOICE_KEYS = {"segment": ("segment", Segment.values), "tier": ("tier", TierLevel.values)}
# Names a formula reads: every range metric plus the player's tier benefits.
TIER_NAMES = ("tier_cashback_percent", "tier_lp_multiplier")
FORMULA_NAMES = frozenset([*RANGE_METRICS, *TIER_NAMES])
METRIC_FIELDS = sorted({f for f, _ in RANGE_METRICS.values()} | set(DAYS_SINCE.values()))

# Reward type -> the asset its amount is paid in. FREE_PLAY (a game's credits) and VIP_PERKS (a
# flag, no balance) have no ledger asset of their own here, so rules refuse them (see compile_rule).
PAID_IN = {
    RewardType.CASHBACK: CurrencyType.BONUS,
    RewardType.BONUS_BALANCE: CurrencyType.BONUS,
    RewardType.LOYALTY_POINTS: CurrencyType.LP,
    RewardType.REWARD_POINTS: CurrencyType.RP,
    RewardType.TICKETS: CurrencyType.TICKETS,
}
PRECISION = {CurrencyType.BONUS: 2, CurrencyType.LP: 2, CurrencyType.RP: 2, CurrencyType.TICKETS: 0}
PERIODS = ("once", "daily", "weekly", "monthly")
WAGER_WITH = ("bonus", "real", "either")
REWARD_KEYS = {
    "type",
    "max_bet",
    "formula",
    "amount",
    "max_amount",
    "wagering_requirement",
    "expiry_hours",
    "eligible_games",
    "period",
    "exclusive",
    "wager_with",
    "contribution_weights",
}


class RuleInvalid(ValueError):
    """A rule refused; `field` is conditions or reward_config, `key` the offending key."""

    def __init__(self, message: str, *, field: str, key: str = ""):
        super().__init__(message)
        self.field = field
        self.key = key


def _number(value, *, field: str, key: str, minimum=0) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RuleInvalid(f"{key} is a number.", field=field, key=key)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise RuleInvalid(f"{key} is a number.", field=field, key=key)
    if not number.is_finite() or (minimum is not None and number < minimum):
        raise RuleInvalid(f"{key} is a number, {minimum} or more.", field=field, key=key)
    return number


@dataclass(frozen=True)
class Check:
    """One condition: its key, what it asks, and how to test a player's value."""

    key: str
    wants: str
    name: str  # the value it reads (a metric, segment, tier, days since...)
    test: object  # value -> bool

    def passes(self, value) -> bool:
        return bool(self.test(value))


@dataclass
class CompiledRule:
    conditions: list[Check]
    where: object  # a function now -> Q over PlayerMetrics
    reward_type: str
    currency: str
    formula: str | None
    fixed_amount: Decimal | None
    max_amount: Decimal | None
    wagering_multiplier: Decimal
    expiry_hours: Decimal | None
    max_bet: Decimal | None
    eligible_games: list[str]
    period: str
    exclusive: bool
    wager_with: str
    contribution_weights: dict[str, int]
    formula_names: set[str] = field(default_factory=set)

    def q(self, *, now: datetime) -> Q:
        return self.where(now)

    def amount(self, values: dict[str, Decimal]) -> Decimal:
        """The reward for one player's values, capped and cut to the asset's places (0: no reward)."""
        raw = self.fixed_amount if self.formula is None else evaluate_formula(self.formula, values=values)
        if self.max_amount is not None:
            raw = min(raw, self.max_amount)
        places = Decimal(1).scaleb(-PRECISION[self.currency])
        amount = raw.quantize(places, rounding=ROUND_DOWN)
        return amount if amount > 0 else Decimal(0)


def _choice_check(key: str, value, *, field_name: str, allowed) -> tuple[Check, callable]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v in allowed for v in values):
        raise RuleInvalid(f"{key} is one of {', '.join(allowed)} (or a list of them).", field="conditions", key=key)
    check = Check(key=key, wants=" or ".join(values), name=key, test=lambda v, vs=values: v in vs)
    return check, lambda now, vs=values: Q(**{f"customer__loyalty_profile__{field_name}__in": vs})


def _range_check(key: str, value) -> tuple[Check, callable]:
    name, bound = key.rsplit("_", 1)
    metric, sign = RANGE_METRICS[name]
    limit = _number(value, field="conditions", key=key, minimum=None)
    if bound == "min":
        wants, test = f">= {limit}", (lambda v, x=limit: v is not None and v >= x)
        lookup = "gte" if sign > 0 else "lte"
    else:
        wants, test = f"<= {limit}", (lambda v, x=limit: v is not None and v <= x)
        lookup = "lte" if sign > 0 else "gte"
    check = Check(key=key, wants=wants, name=name, test=test)
    return check, lambda now: Q(**{f"{metric}__{lookup}": limit * sign})


def _days_check(key: str, value) -> list[tuple[Check, callable]]:
    if not isinstance(value, dict) or not value or set(value) - {"min", "max"}:
        raise RuleInvalid(
            f'{key} is an object with "min" and/or "max" days, e.g. {{"max": 7}}.', field="conditions", key=key
        )
    column = DAYS_SINCE[key]
    out = []
    for bound, days in value.items():
        days = _number(days, field="conditions", key=f"{key}.{bound}")
        if bound == "max":

            def test(v, d=days):
                return v is not None and v <= d

            def where(now, d=days):
                return Q(**{f"{column}__gte": now - timedelta(days=float(d))})

            wants = f"<= {days} days"
        else:

            def test(v, d=days):
                return v is None or v >= d

            def where(now, d=days):
                return Q(**{f"{column}__lte": now - timedelta(days=float(d))}) | Q(**{f"{column}__isnull": True})

            wants = f">= {days} days"
        out.append((Check(key=f"{key}.{bound}", wants=wants, name=key, test=test), where))
    return out


def _compile_conditions(conditions) -> tuple[list[Check], list]:
    if not isinstance(conditions, dict):
        raise RuleInvalid("A rule's conditions are a JSON object.", field="conditions")
    checks, wheres = [], []
    for key, value in conditions.items():
        if key in CHOICE_KEYS:
            field_name, allowed = CHOICE_KEYS[key]
            pairs = [_choice_check(key, value, field_name=field_name, allowed=allowed)]
        elif key in DAYS_SINCE:
            pairs = _days_check(key, value)
        elif key.endswith(("_min", "_max")) and key.rsplit("_", 1)[0] in RANGE_METRICS:
            pairs = [_range_check(key, value)]
        else:
            known = [*CHOICE_KEYS, *DAYS_SINCE, *(f"{n}_min/_max" for n in RANGE_METRICS)]
            raise RuleInvalid(f"Unknown condition {key!r}; known: {', '.join(known)}.", field="conditions", key=key)
        for check, where in pairs:
            checks.append(check)
            wheres.append(where)
    return checks, wheres


def compile_rule(*, conditions, reward_config) -> CompiledRule:
    """Check a rule and compile it; raises RuleInvalid naming the bad key or token."""
    checks, wheres = _compile_conditions(conditions)
    if not isinstance(reward_config, dict):
        raise RuleInvalid("A rule's reward is a JSON object.", field="reward_config")
    unknown = set(reward_config) - REWARD_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise RuleInvalid(
            f"Unknown reward key {key!r}; known: {', '.join(sorted(REWARD_KEYS))}.", field="reward_config", key=key
        )
    reward_type = reward_config.get("type")
    if reward_type not in RewardType.values:
        raise RuleInvalid(
            f"The reward's type is one of {', '.join(RewardType.values)}.", field="reward_config", key="type"
        )
    if reward_type not in PAID_IN:
        raise RuleInvalid(
            f"Rules issue {', '.join(PAID_IN)}; a {reward_type} reward is granted by staff.",
            field="reward_config",
            key="type",
        )
    formula = reward_config.get("formula")
    used: set[str] = set()
    fixed = None
    if formula is not None:
        try:
            used = check_formula(formula, names=FORMULA_NAMES)
        except FormulaInvalid as exc:
            raise RuleInvalid(str(exc), field="reward_config", key="formula")
    elif "amount" in reward_config:
        fixed = _number(reward_config["amount"], field="reward_config", key="amount")
    else:
        raise RuleInvalid("The reward needs a formula or a fixed amount.", field="reward_config", key="formula")
    optional = {}
    for key in ("max_amount", "wagering_requirement", "expiry_hours", "max_bet"):
        value = reward_config.get(key)
        optional[key] = None if value is None else _number(value, field="reward_config", key=key)
    games = reward_config.get("eligible_games", [])
    if not isinstance(games, list) or not all(isinstance(g, str) and g.strip() for g in games):
        raise RuleInvalid(
            "eligible_games is a list of game names or types.", field="reward_config", key="eligible_games"
        )
    period = reward_config.get("period", "once")
    if period not in PERIODS:
        raise RuleInvalid(f"period is one of {', '.join(PERIODS)}.", field="reward_config", key="period")
    exclusive = reward_config.get("exclusive", False)
    if not isinstance(exclusive, bool):
        raise RuleInvalid("exclusive is true or false.", field="reward_config", key="exclusive")
    wager_with = reward_config.get("wager_with", "either")
    if wager_with not in WAGER_WITH:
        raise RuleInvalid(f"wager_with is one of {', '.join(WAGER_WITH)}.", field="reward_config", key="wager_with")
    weights = reward_config.get("contribution_weights", {})
    if not isinstance(weights, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100
        for k, v in weights.items()
    ):
        raise RuleInvalid(
            "contribution_weights maps a game type to a percent from 0 to 100.",
            field="reward_config",
            key="contribution_weights",
        )

    def where(now):
        q = Q()
        for part in wheres:
            q &= part(now)
        return q

    return CompiledRule(
        conditions=checks,
        where=where,
        reward_type=reward_type,
        currency=PAID_IN[reward_type],
        formula=formula.strip() if formula is not None else None,
        fixed_amount=fixed,
        max_amount=optional["max_amount"],
        wagering_multiplier=optional["wagering_requirement"] or Decimal(0),
        expiry_hours=optional["expiry_hours"],
        max_bet=optional["max_bet"] or None,
        eligible_games=[g.strip() for g in games],
        period=period,
        exclusive=exclusive,
        wager_with=wager_with,
        contribution_weights=weights,
        formula_names=used,
    )


def period_key(period: str, *, now: datetime) -> str:
    """The key a grant is unique on with its rule and player: one grant per player and period."""
    if period == "daily":
        return now.strftime("%Y-%m-%d")
    if period == "weekly":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "monthly":
        return now.strftime("%Y-%m")
    return "once"


def player_values(metrics: dict, *, segment: str, tier: str, now: datetime, benefits: dict | None = None) -> dict:
    """The names conditions and formulas read, from one player's metric columns and profile."""
    values = {name: Decimal(str(metrics[column])) * sign for name, (column, sign) in RANGE_METRICS.items()}
    for name, column in DAYS_SINCE.items():
        values[name] = days_since(metrics.get(column), now=now)
    benefits = benefits or {}
    values["tier_cashback_percent"] = Decimal(str(benefits.get("cashback_percent", 0)))
    values["tier_lp_multiplier"] = Decimal(str(benefits.get("lp_multiplier", 1)))
    values["segment"] = segment
    values["tier"] = tier
    return values


def days_since(moment, *, now: datetime):
    """Whole and fractional days since `moment`, None when it never happened."""
    if moment is None:
        return None
    return Decimal(str(round((now - moment).total_seconds() / 86400, 4)))
