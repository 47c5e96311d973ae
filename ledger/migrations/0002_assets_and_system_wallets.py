from django.db import migrations

BASE_ASSETS = [
    # code, kind, precision, label
    ("COIN", "platform", 2, "GCoin"),
    ("EUR", "fiat", 2, "Euro"),
    ("USD", "fiat", 2, "US dollar"),
    ("INR", "fiat", 2, "Indian rupee"),
    ("LP", "loyalty", 2, "Loyalty points"),
    ("RP", "loyalty", 2, "Reward points"),
    ("BONUS", "loyalty", 2, "Bonus balance"),
    ("TICKETS", "loyalty", 0, "Tickets"),
]


def create_assets(apps, schema_editor):
    from ledger.system_wallets import SYSTEM_WALLETS

    Asset = apps.get_model("ledger", "Asset")
    Wallet = apps.get_model("ledger", "Wallet")
    for code, kind, precision, label in BASE_ASSETS:
        asset, _ = Asset.objects.get_or_create(
            code=code, defaults={"kind": kind, "precision": precision, "label": label}
        )
        for system_code, tracks_balance, allow_negative in SYSTEM_WALLETS:
            Wallet.objects.get_or_create(
                system_code=system_code,
                asset=asset,
                defaults={"tracks_balance": tracks_balance, "allow_negative": allow_negative},
            )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(create_assets, migrations.RunPython.noop)]
