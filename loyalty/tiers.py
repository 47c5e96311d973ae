"""Seed 001's four tiers with their starting LP ranges and benefits (`cashback_percent`, read by rule
formulas as tier_cashback_percent; `lp_multiplier`, applied to LP earned per wager); staff tune
them in admin (history is kept)."""

DEFAULT_TIERS = [
    ("BRONZE", 0, 999, {"cashback_percent": 0, "lp_multiplier": 1}),
    ("SILVER", 1000, 4999, {"cashback_percent": 5, "lp_multiplier": 1.25}),
    ("GOLD", 5000, 19999, {"cashback_percent": 10, "lp_multiplier": 1.5}),
    ("PLATINUM", 20000, None, {"cashback_percent": 15, "lp_multiplier": 2, "vip_host": True}),
]


def ensure_default_tiers(tier_model) -> None:
    """Create any missing tier with its default range; existing tiers are left as staff set them."""
    for level, lp_min, lp_max, benefits in DEFAULT_TIERS:
        tier_model.objects.get_or_create(
            tier_level=level, defaults={"lp_min": lp_min, "lp_max": lp_max, "benefits": benefits}
        )
