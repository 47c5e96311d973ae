"""What a rule would do, without writing: Simulate (the whole population now), Explain (one player,
condition by condition), Backtest (each day of a past window, from the facts as they stood).

Simulate uses the evaluator's own matching (loyalty.services.evaluation), so the players it shows
are the players the next evaluation grants, as long as metrics and grants do not change between.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Customer
from loyalty.errors import ValidationFailed
from loyalty.models import AbuseSignal, PlayerMetrics, PlayerProfile, RewardRule, Tier
from loyalty.rules import RuleInvalid, period_key
from loyalty.rules.compiler import player_values
from loyalty.services import evaluation
from loyalty.services.grants import held_severity
from loyalty.services.metrics import metrics_as_of
from loyalty.services.standing import segment_for

TOP = 20
BUCKETS = 10
MAX_BACKTEST_DAYS = 92


@dataclass
class Simulation:
    rule: RewardRule
    period_key: str
    matched: int = 0
    total: Decimal = Decimal(0)
    zero_amount: int = 0
    already_granted: int = 0
    held: int = 0
    histogram: list[dict] = field(default_factory=list)
    top: list[dict] = field(default_factory=list)
    higher: list[dict] = field(default_factory=list)
    lower: list[dict] = field(default_factory=list)
    taken_by_higher: int = 0
    grants: int = 0
    grants_total: Decimal = Decimal(0)
    customer_ids: list[int] = field(default_factory=list)


def _compiled(rule: RewardRule):
    try:
        return evaluation.compiled(rule)
    except RuleInvalid as exc:
        raise ValidationFailed(str(exc), details={"field": exc.field, "key": exc.key})


def _histogram(amounts: list[Decimal]) -> list[dict]:
    if not amounts:
        return []
    low, high = min(amounts), max(amounts)
    if low == high:
        return [{"from": low, "to": high, "count": len(amounts), "percent": 100}]
    width = (high - low) / BUCKETS or Decimal(1)
    counts = Counter(min(int((a - low) / width), BUCKETS - 1) for a in amounts)
    top = max(counts.values())
    return [
        {
            "from": (low + width * i).quantize(Decimal("0.01")),
            "to": (low + width * (i + 1)).quantize(Decimal("0.01")),
            "count": counts.get(i, 0),
            "percent": round(100 * counts.get(i, 0) / top),
        }
        for i in range(BUCKETS)
    ]


def simulate_rule(*, rule: RewardRule, now: datetime | None = None) -> Simulation:
    """Run the rule against current metrics without writing (whether it is active or not)."""
    now = now or timezone.now()
    compiled = _compiled(rule)
    key = period_key(compiled.period, now=now)
    result = Simulation(rule=rule, period_key=key)
    everyone = evaluation.eligible_metrics().filter(compiled.q(now=now))
    result.already_granted = everyone.filter(
        Exists(evaluation.granted_in_period(rule, key).filter(customer_id=OuterRef("customer_id")))
    ).count()
    matches = list(evaluation.rows_with_amounts(compiled, evaluation.matching(rule, compiled, now=now), now=now))
    by_id = {m.customer_id: m for m in matches}
    result.matched = len(matches)
    # Higher-priority active rules run first in an evaluation: an exclusive one takes its players.
    taken: set[int] = set()
    others = [r for r in evaluation.active_rules() if r.pk != rule.pk]
    for other in others:
        try:
            other_compiled = evaluation.compiled(other)
        except RuleInvalid:
            continue
        other_key = period_key(other_compiled.period, now=now)
        theirs = {
            m.customer_id
            for m in evaluation.rows_with_amounts(
                other_compiled, evaluation.matching(other, other_compiled, now=now), now=now
            )
            if m.amount > 0
        } | set(evaluation.granted_in_period(other, other_key).values_list("customer_id", flat=True))
        overlap = theirs & set(by_id)
        entry = {"rule": other, "exclusive": other_compiled.exclusive, "overlap": len(overlap)}
        runs_before = other.priority > rule.priority or (
            other.priority == rule.priority and other.rule_id < rule.rule_id
        )
        if runs_before:
            entry["taken"] = len(overlap) if other_compiled.exclusive else 0
            if other_compiled.exclusive:
                taken |= overlap
            result.higher.append(entry)
        else:
            entry["left"] = len(overlap) if compiled.exclusive else 0
            result.lower.append(entry)
    result.taken_by_higher = len(taken)
    paying = [m for m in matches if m.customer_id not in taken and m.amount > 0]
    result.zero_amount = sum(1 for m in matches if m.customer_id not in taken and m.amount <= 0)
    result.grants = len(paying)
    result.total = sum((m.amount for m in paying), Decimal(0))
    result.grants_total = result.total
    result.customer_ids = sorted(m.customer_id for m in paying)
    held_ids = set(
        AbuseSignal.objects.filter(
            customer_id__in=result.customer_ids, is_resolved=False, severity__gte=held_severity()
        ).values_list("customer_id", flat=True)
    )
    result.held = len(held_ids)
    result.histogram = _histogram([m.amount for m in paying])
    best = sorted(paying, key=lambda m: (-m.amount, m.customer_id))[:TOP]
    names = Customer.objects.in_bulk([m.customer_id for m in best])
    result.top = [
        {"customer": names[m.customer_id], "amount": m.amount, "held": m.customer_id in held_ids} for m in best
    ]
    return result


@dataclass
class Explanation:
    rule: RewardRule
    customer: Customer
    checks: list[dict]
    eligible: bool
    reasons: list[str]
    amount: Decimal
    qualifies: bool


def explain_rule(*, rule: RewardRule, customer: Customer, now: datetime | None = None) -> Explanation:
    """Each condition with the player's value and whether it passes, then what else decides."""
    now = now or timezone.now()
    compiled = _compiled(rule)
    profile = PlayerProfile.objects.filter(customer=customer).first()
    metrics = PlayerMetrics.objects.filter(customer=customer).values().first()
    reasons = []
    if profile is None:
        reasons.append("has no loyalty profile")
    elif profile.is_blocked:
        reasons.append("is blocked")
    elif not profile.is_active:
        reasons.append("is inactive")
    if customer.is_archived:
        reasons.append("is archived")
    if metrics is None:
        reasons.append("has no metrics yet (the metrics job has not seen them)")
        return Explanation(rule, customer, [], False, reasons, Decimal(0), False)
    benefits = dict(Tier.objects.values_list("tier_level", "benefits"))
    tier = profile.tier if profile else ""
    values = player_values(
        metrics, segment=profile.segment if profile else "", tier=tier, now=now, benefits=benefits.get(tier)
    )
    checks = [
        {"key": c.key, "wants": c.wants, "value": values.get(c.name), "passes": c.passes(values.get(c.name))}
        for c in compiled.conditions
    ]
    key = period_key(compiled.period, now=now)
    if evaluation.granted_in_period(rule, key).filter(customer=customer).exists():
        reasons.append(f"was already granted this rule for period {key}")
    amount = compiled.amount(values)
    if amount <= 0:
        reasons.append("the formula pays nothing for them")
    qualifies = all(c["passes"] for c in checks) and not reasons
    return Explanation(rule, customer, checks, not reasons, reasons, amount, qualifies)


def backtest_rule(*, rule: RewardRule, since: date, until: date | None = None) -> list[dict]:
    """What the rule would have paid on each day from `since`, at the metrics of that day's end.

    Segments are recomputed from that day's metrics; tiers are taken as they are now (their
    history is kept from the engine's start only). Once-per-period is honoured across the window.
    """
    compiled = _compiled(rule)
    until = until or timezone.localdate()
    if since > until:
        raise ValidationFailed("The backtest starts before it ends.", details={"field": "since"})
    if (until - since).days > MAX_BACKTEST_DAYS:
        raise ValidationFailed(f"A backtest covers at most {MAX_BACKTEST_DAYS} days.", details={"field": "since"})
    profiles = {
        p["customer_id"]: p
        for p in PlayerProfile.objects.filter(is_blocked=False, is_active=True, customer__is_archived=False).values(
            "customer_id", "tier"
        )
    }
    benefits = dict(Tier.objects.values_list("tier_level", "benefits"))
    paid_keys: set[tuple[int, str]] = set()
    days = []
    day = since
    while day <= until:
        end = timezone.make_aware(datetime.combine(day, time.max))
        rows = metrics_as_of(as_of=end, customer_ids=list(profiles))
        key = period_key(compiled.period, now=end)
        matched = paid = 0
        total = Decimal(0)
        for customer_id, metrics in rows.items():
            tier = profiles[customer_id]["tier"]
            values = player_values(
                metrics, segment=segment_for(metrics), tier=tier, now=end, benefits=benefits.get(tier)
            )
            if not all(c.passes(values.get(c.name)) for c in compiled.conditions):
                continue
            matched += 1
            amount = compiled.amount(values)
            if amount <= 0 or (customer_id, key) in paid_keys:
                continue
            paid_keys.add((customer_id, key))
            paid += 1
            total += amount
        days.append({"day": day, "matched": matched, "paid": paid, "total": total})
        day += timedelta(days=1)
    return days


__all__ = ["backtest_rule", "explain_rule", "simulate_rule"]
