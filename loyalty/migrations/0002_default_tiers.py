from django.db import migrations


def create_tiers(apps, schema_editor):
    from loyalty.tiers import ensure_default_tiers

    ensure_default_tiers(apps.get_model("loyalty", "Tier"))


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(create_tiers, migrations.RunPython.noop)]
