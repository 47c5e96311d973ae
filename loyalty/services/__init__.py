"""Every write of the loyalty app. One transaction per use case; balances move only through the ledger.

- `grants`: reward grants (held for review when abuse signals say so), abuse signals, blocks;
- `program`: tier ranges and reward rules as staff edit them;
- `metrics`: player metrics from facts, per player and set-based;
- `standing`: segments and tiers;
- `points`: LP per wager, redemption, staff adjustments;
- `bonuses`: wagering, completion, expiry of bonuses and points;
- `evaluation`: the rule engine; `simulation`: what a rule would do, without writing;
- `abuse`: the detectors.
Import from `loyalty.services`.
"""

from loyalty.services.bonuses import expire_bonuses, expire_points, record_wagering
from loyalty.services.evaluation import evaluate_rules
from loyalty.services.grants import (
    BLOCK_FREEZE_REASON,
    cancel_reward_grant,
    ensure_player_profile,
    is_held,
    issue_reward,
    pending_review,
    record_abuse_signal,
    release_reward_grant,
    resolve_abuse_signal,
    set_player_blocked,
)
from loyalty.services.metrics import metrics_as_of, metrics_values, recompute_all_metrics, refresh_player_metrics
from loyalty.services.points import adjust_points, earn_lp_for_bet, redeem_points, redemption_rate
from loyalty.services.program import create_reward_rule, set_tier_range, update_reward_rule
from loyalty.services.standing import recompute_segments, recompute_tiers, tier_progress

__all__ = [
    "BLOCK_FREEZE_REASON",
    "adjust_points",
    "cancel_reward_grant",
    "create_reward_rule",
    "earn_lp_for_bet",
    "ensure_player_profile",
    "evaluate_rules",
    "expire_bonuses",
    "expire_points",
    "is_held",
    "issue_reward",
    "metrics_as_of",
    "metrics_values",
    "pending_review",
    "recompute_all_metrics",
    "recompute_segments",
    "recompute_tiers",
    "record_abuse_signal",
    "record_wagering",
    "redeem_points",
    "redemption_rate",
    "refresh_player_metrics",
    "release_reward_grant",
    "resolve_abuse_signal",
    "set_player_blocked",
    "set_tier_range",
    "tier_progress",
    "update_reward_rule",
]
