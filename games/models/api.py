"""HTTP-level idempotency of the partner API: the first response to a key is the answer to every replay."""

from django.conf import settings
from django.db import models


class ApiIdempotencyRecord(models.Model):
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path, player and body.")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="games_api_idempotency_app_key_unique"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="games_api_idem_created_idx"),
            models.Index(fields=["method"], name="games_api_idem_method_idx"),
            models.Index(fields=["status_code"], name="games_api_idem_status_idx"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"
