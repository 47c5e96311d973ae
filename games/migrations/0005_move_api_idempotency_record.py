"""ApiIdempotencyRecord now belongs to the kernel (nodebyte_platform 0003 took over its table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("games", "0004_bet_limits"),
        ("nodebyte_platform", "0003_api_idempotency_record"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiIdempotencyRecord")],
            database_operations=[],
        ),
    ]
