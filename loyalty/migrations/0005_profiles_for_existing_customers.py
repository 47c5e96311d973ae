"""Every customer registered before profiles were opened on registration gets one (NEW, BRONZE)."""

from django.db import migrations


def open_missing_profiles(apps, schema_editor):
    Customer = apps.get_model("accounts", "Customer")
    PlayerProfile = apps.get_model("loyalty", "PlayerProfile")
    missing = Customer.objects.filter(loyalty_profile__isnull=True).values_list("pk", flat=True).iterator()
    batch = []
    for customer_id in missing:
        batch.append(PlayerProfile(customer_id=customer_id))
        if len(batch) == 1000:
            PlayerProfile.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    PlayerProfile.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0004_engine"),
    ]

    operations = [migrations.RunPython(open_missing_profiles, migrations.RunPython.noop)]
