"""Rule evaluation: each active rule, in priority order, grants its matching players once per period.

Matching is one query per rule: the rule's compiled WHERE over metrics and profiles, minus blocked,
inactive and archived players, minus players this rule already granted in this period, minus
players a higher-priority `exclusive` rule granted in its period. The formula runs per matched
row (simpleeval), and each grant goes through `issue_reward`, whose unique constraint (rule,
player, period) makes a second run, or a second worker at the same moment, grant nothing twice.
`matching` is shared with the simulator, so a simulation shows what the next run will grant.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Customer
from loyalty.models import PlayerMetrics, RewardGrant, RewardRule, RewardStatus, Tier
from loyalty.rules import CompiledRule, RuleInvalid, compile_rule, period_key
from loyalty.rules.compiler import METRIC_FIELDS, player_values
from loyalty.services.grants import issue_reward
from nodebyte_platform.errors import DomainError

LIVE = ~Q(status=RewardStatus.CANCELLED)


@dataclass(frozen=True)
class Match:
    customer_id: int
    amount: Decimal
    values: dict


def active_rules() -> list[RewardRule]:
    return list(RewardRule.objects.filter(is_active=True).order_by("-priority", "rule_id"))


def compiled(rule: RewardRule) -> CompiledRule:
    return compile_rule(conditions=rule.conditions, reward_config=rule.reward_config)


def eligible_metrics():
    """Players a rule may reward at all: a profile that is active and not blocked, not archived."""
    return PlayerMetrics.objects.filter(
        customer__loyalty_profile__is_blocked=False,
        customer__loyalty_profile__is_active=True,
        customer__is_archived=False,
    )


def granted_in_period(rule: RewardRule, key: str):
    return RewardGrant.objects.filter(rule=rule, period_key=key).filter(LIVE)


def matching(rule: RewardRule, rule_compiled: CompiledRule, *, now: datetime, skip_exclusive_of=()):
    """The metrics rows of players this rule matches now and has not granted this period.

    `skip_exclusive_of` are higher-priority exclusive rules: their grantees this period are left out.
    """
    key = period_key(rule_compiled.period, now=now)
    queryset = eligible_metrics().filter(rule_compiled.q(now=now))
    queryset = queryset.exclude(Exists(granted_in_period(rule, key).filter(customer_id=OuterRef("customer_id"))))
    for higher, higher_key in skip_exclusive_of:
        queryset = queryset.exclude(
            Exists(granted_in_period(higher, higher_key).filter(customer_id=OuterRef("customer_id")))
        )
    return queryset


def rows_with_amounts(rule_compiled: CompiledRule, queryset, *, now: datetime):
    """(Match) per row: the player's values and the formula's amount (0 when it pays nothing)."""
    benefits = dict(Tier.objects.values_list("tier_level", "benefits"))
    rows = queryset.values(
        "customer_id", *METRIC_FIELDS, "customer__loyalty_profile__segment", "customer__loyalty_profile__tier"
    ).order_by("customer_id")
    for row in rows.iterator(chunk_size=2000):
        tier = row["customer__loyalty_profile__tier"]
        values = player_values(
            row, segment=row["customer__loyalty_profile__segment"], tier=tier, now=now, benefits=benefits.get(tier)
        )
        yield Match(customer_id=row["customer_id"], amount=rule_compiled.amount(values), values=values)


def grant_for(rule: RewardRule, rule_compiled: CompiledRule, *, customer: Customer, amount: Decimal, key: str):
    return issue_reward(
        customer=customer,
        reward_type=rule_compiled.reward_type,
        amount=amount,
        currency_type=rule_compiled.currency,
        rule=rule,
        period_key=key,
        wagering_required=amount * rule_compiled.wagering_multiplier,
        max_bet=rule_compiled.max_bet,
        eligible_games=rule_compiled.eligible_games,
        expiry_hours=rule_compiled.expiry_hours,
        metadata={
            "wager_with": rule_compiled.wager_with,
            "contribution_weights": rule_compiled.contribution_weights,
            "formula": rule_compiled.formula,
        },
    )


def evaluate_rules(*, now: datetime | None = None, progress=None) -> dict:
    """Run every active rule once (the rule evaluation job). Returns grants made per rule."""
    now = now or timezone.now()
    summary = {}
    exclusive = []
    for rule in active_rules():
        try:
            rule_compiled = compiled(rule)
        except RuleInvalid as exc:
            if progress is not None:
                progress.item_failed(exc, item=rule.rule_id)
            continue
        key = period_key(rule_compiled.period, now=now)
        matches = [
            m
            for m in rows_with_amounts(
                rule_compiled, matching(rule, rule_compiled, now=now, skip_exclusive_of=exclusive), now=now
            )
            if m.amount > 0
        ]
        customers = Customer.objects.select_related("user").in_bulk([m.customer_id for m in matches])
        granted = 0
        for match in matches:
            try:
                grant_for(rule, rule_compiled, customer=customers[match.customer_id], amount=match.amount, key=key)
                granted += 1
            except DomainError as exc:
                if progress is not None:
                    progress.item_failed(exc, item=f"{rule.rule_id}:{match.customer_id}")
            if progress is not None:
                progress.processed()
        summary[rule.rule_id] = granted
        if rule_compiled.exclusive:
            exclusive.append((rule, key))
    return summary
