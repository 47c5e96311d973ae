from django.db import migrations

# Starting LP ranges of seed 001's four tiers; staff tune them in admin (history is kept).
DEFAULT_TIERS = [
    ("BRONZE", 0, 999, {"cashback_percent": 0}),
    ("SILVER", 1000, 4999, {"cashback_percent": 5}),
    ("GOLD", 5000, 19999, {"cashback_percent": 10}),
    ("PLATINUM", 20000, None, {"cashback_percent": 15, "vip_host": True}),
]


def create_tiers(apps, schema_editor):
    Tier = apps.get_model("loyalty", "Tier")
    for level, lp_min, lp_max, benefits in DEFAULT_TIERS:
        Tier.objects.get_or_create(
            tier_level=level, defaults={"lp_min": lp_min, "lp_max": lp_max, "benefits": benefits}
        )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(create_tiers, migrations.RunPython.noop)]
