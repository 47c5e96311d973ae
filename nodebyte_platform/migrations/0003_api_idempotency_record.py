"""The partner API's idempotency records move from games to the kernel, table and rows kept."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("nodebyte_platform", "0002_reactions"),
        ("games", "0004_bet_limits"),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_APPLICATION_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE games_apiidempotencyrecord RENAME TO nodebyte_platform_apiidempotencyrecord",
                    "ALTER TABLE nodebyte_platform_apiidempotencyrecord RENAME TO games_apiidempotencyrecord",
                )
            ],
            state_operations=[
                migrations.CreateModel(
                    name="ApiIdempotencyRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=255)),
                        (
                            "fingerprint",
                            models.CharField(help_text="SHA-256 of method, path, player and body.", max_length=64),
                        ),
                        ("method", models.CharField(max_length=8)),
                        ("path", models.CharField(max_length=255)),
                        ("status_code", models.PositiveSmallIntegerField()),
                        ("response_body", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "application",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="idempotency_records",
                                to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "indexes": [
                            models.Index(fields=["created_at"], name="games_api_idem_created_idx"),
                            models.Index(fields=["method"], name="games_api_idem_method_idx"),
                            models.Index(fields=["status_code"], name="games_api_idem_status_idx"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("application", "key"), name="games_api_idempotency_app_key_unique"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
