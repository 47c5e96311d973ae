"""The program as staff tune it: tier ranges and reward rules (validated by loyalty.rules)."""

from django.db import transaction

from loyalty.errors import ValidationFailed
from loyalty.models import RewardRule, Tier, TierLevel
from loyalty.rules import RuleInvalid, compile_rule
from nodebyte_platform.updates import save_changes

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


def _reward_rule_values(*, name: str, description: str, priority: int, conditions, reward_config) -> dict:
    """Check a rule's parts by compiling them (loyalty.rules): a rule that saves is a rule that runs.
    A refusal names the bad key or token and the field it is in."""
    if not (name or "").strip():
        raise ValidationFailed("A rule needs a name.", details={"field": "name"})
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ValidationFailed("The priority is a whole number.", details={"field": "priority"})
    try:
        compile_rule(conditions=conditions, reward_config=reward_config)
    except RuleInvalid as exc:
        raise ValidationFailed(str(exc), details={"field": exc.field, "key": exc.key})
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
