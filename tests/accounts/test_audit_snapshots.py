"""The audit trail never holds a secret, and a snapshot of any field value is JSON.

Through the admin (an Integration edited by the admin role), over every model's fields (every
encrypted field is redacted, whatever its class or name), and the accounts migration that
redacts rows written before these rules, on crafted rows.
"""

import importlib
import json
import math
import zoneinfo
from decimal import Decimal

import encrypted_fields.fields
import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse

from accounts.audit import (
    REDACTED,
    REDACTED_CHANGED,
    is_encrypted_field,
    is_secret_name,
    json_safe,
    redacted_fields,
    snapshot,
)
from accounts.models import AuditEntry
from accounts.services import record_audit, sync_roles
from games.models import Integration
from tests.factories.accounts import StaffProfileFactory
from tests.factories.games import IntegrationFactory

pytestmark = pytest.mark.django_db

redaction_migration = importlib.import_module("accounts.migrations.0006_redact_audit_secrets")


def integration_form(integration, **changes):
    data = {
        "kind": integration.kind,
        "name": integration.name,
        "user": "",
        "url": integration.url,
        "api_key": "",
        "api_secret": "",
        "status": integration.status,
        "sync_interval_minutes": integration.sync_interval_minutes,
    }
    return {**data, **changes}


def test_editing_an_integration_in_admin_keeps_its_keys_out_of_the_audit_trail(client):
    sync_roles()
    integration = IntegrationFactory(api_key="old-panel-key-1111", api_secret="panel-secret-2222")
    admin_user = StaffProfileFactory(role="admin").user
    client.force_login(admin_user)
    url = reverse("admin:games_integration_change", args=[integration.pk])

    response = client.post(url, integration_form(integration, name="Renamed panel", api_key="new-panel-key-3333"))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Integration.objects.get(pk=integration.pk).api_key == "new-panel-key-3333"
    entry = AuditEntry.objects.get(action="change", object_id=str(integration.pk), actor=admin_user)
    stored = json.dumps([entry.before, entry.after])
    for secret in ("old-panel-key-1111", "panel-secret-2222", "new-panel-key-3333"):
        assert secret not in stored
    assert entry.before["api_key"] == REDACTED and entry.after["api_key"] == REDACTED_CHANGED
    assert entry.before["api_secret"] == REDACTED and entry.after["api_secret"] == REDACTED
    assert (entry.before["name"], entry.after["name"]) == (integration.name, "Renamed panel")


def test_replacing_only_a_secret_in_admin_still_leaves_an_audit_row(client):
    sync_roles()
    integration = IntegrationFactory(api_secret="first-secret")
    client.force_login(StaffProfileFactory(role="admin").user)
    url = reverse("admin:games_integration_change", args=[integration.pk])

    client.post(url, integration_form(integration, api_secret="second-secret"))

    entry = AuditEntry.objects.get(action="change", object_id=str(integration.pk))
    assert entry.before["api_secret"] == REDACTED and entry.after["api_secret"] == REDACTED_CHANGED
    assert "second-secret" not in json.dumps(entry.after)


def encrypted_field_classes():
    return [
        cls
        for cls in vars(encrypted_fields.fields).values()
        if isinstance(cls, type)
        and issubclass(cls, models.Field)
        and cls.__module__ == encrypted_fields.fields.__name__
    ]


@pytest.mark.parametrize("field_class", encrypted_field_classes(), ids=lambda c: c.__name__)
def test_every_encrypted_field_class_counts_as_secret(field_class):
    assert is_encrypted_field(field_class())

    class Renamed(field_class):  # a project subclass under an innocent name
        pass

    assert is_encrypted_field(Renamed())


def test_every_encrypted_field_of_every_model_is_redacted():
    checked = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if is_encrypted_field(field):
                assert field.name in redacted_fields(model), f"{model._meta.label}.{field.name}"
                checked += 1
    # Integration (2), Hytale tokens (4), server database (1), withdrawal (3), Discord webhook (1).
    assert checked >= 11


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "api_secret",
        "access_token",
        "refresh_token",
        "token_secret",
        "client_secret",
        "webhook_url",
        "password",
        "db_password",
        "key",
        "signing_key",
        "apiKey",
        "privateKey",
        "recovery_seed",
        "passphrase",
        "credentials",
        "notification_email",
    ],
)
def test_names_that_hold_secrets_are_redacted(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["idempotency_key", "dedupe_key", "period_key", "routing_key", "name", "url", "status", "description", "monkey"],
)
def test_identifier_names_stay_readable(name):
    assert not is_secret_name(name)


def test_secret_keys_inside_json_values_are_redacted():
    value = {"region": "eu", "auth": {"api_key": "k-1", "refreshToken": "r-1", "nested": [{"password": "p"}]}}
    assert json_safe(value) == {
        "region": "eu",
        "auth": {"api_key": REDACTED, "refreshToken": REDACTED, "nested": [{"password": REDACTED}]},
    }


class Opaque:
    def __str__(self):
        return "opaque thing"


def test_any_value_becomes_json_that_postgresql_accepts():
    value = {
        "zone": zoneinfo.ZoneInfo("Europe/Paris"),
        "tags": {"b", "a"},
        "blob": b"\x00\x01",
        "nan": math.nan,
        "nul": "a\x00b",
        "surrogate": "x\ud800y",
        "amount": Decimal("1.50"),
        "other": Opaque(),
    }
    safe = json_safe(value)
    assert json.loads(json.dumps(safe, allow_nan=False)) == safe
    assert safe["zone"] == "Europe/Paris" and safe["tags"] == ["a", "b"] and safe["amount"] == "1.50"
    assert safe["nul"] == "ab" and safe["surrogate"] == "x\ufffdy" and safe["other"] == "opaque thing"
    assert safe["blob"].startswith("<2 bytes sha256:") and safe["nan"] == "nan"
    # The database takes it (jsonb refuses NUL, lone surrogates and NaN).
    entry = record_audit(actor=None, action="change", obj=IntegrationFactory(), before=safe, after=None)
    assert AuditEntry.objects.get(pk=entry.pk).before["zone"] == "Europe/Paris"


def test_a_schedule_with_a_timezone_snapshots_as_json():
    from django_celery_beat.models import CrontabSchedule

    schedule = CrontabSchedule.objects.create(minute="5", timezone=zoneinfo.ZoneInfo("Asia/Kolkata"))
    assert json.loads(json.dumps(snapshot(schedule)))["timezone"] == "Asia/Kolkata"


def crafted_rows():
    integration_ct = ContentType.objects.get_for_model(Integration)
    gone_ct = ContentType.objects.create(app_label="retired_app", model="oldconnection")
    leaky = AuditEntry.objects.create(
        action="change",
        content_type=integration_ct,
        object_id="1",
        object_repr="Panel",
        before={"name": "Panel", "api_key": "plain-key", "api_secret": "plain-secret", "user_id": 7},
        after={"name": "Panel 2", "api_key": "plain-key-2", "api_secret": "", "last_error": ""},
    )
    unknown_model = AuditEntry.objects.create(
        action="delete",
        content_type=gone_ct,
        object_id="2",
        object_repr="Old",
        before={"label": "Old", "auth_token": "t-1", "idempotency_key": "k-1", "extra": {"webhook_url": "https://x"}},
        after=None,
    )
    clean = AuditEntry.objects.create(
        action="change",
        content_type=integration_ct,
        object_id="3",
        object_repr="Clean",
        before={"name": "Clean", "api_key": REDACTED},
        after={"name": "Clean", "api_key": REDACTED_CHANGED},
    )
    return leaky, unknown_model, clean


def test_the_migration_redacts_secrets_that_existing_rows_hold():
    leaky, unknown_model, clean = crafted_rows()

    changed = redaction_migration.redact_rows(AuditEntry.objects.all(), vendor=connection.vendor)

    assert changed == 2
    leaky.refresh_from_db()
    assert leaky.before == {"name": "Panel", "api_key": REDACTED, "api_secret": REDACTED, "user_id": 7}
    assert leaky.after == {"name": "Panel 2", "api_key": REDACTED, "api_secret": "", "last_error": ""}
    assert (leaky.action, leaky.object_repr, leaky.object_id) == ("change", "Panel", "1")
    unknown_model.refresh_from_db()
    assert unknown_model.before == {
        "label": "Old",
        "auth_token": REDACTED,
        "idempotency_key": "k-1",
        "extra": {"webhook_url": REDACTED},
    }
    assert unknown_model.after is None
    clean.refresh_from_db()
    assert clean.after == {"name": "Clean", "api_key": REDACTED_CHANGED}
    # Running it again finds nothing left to redact.
    assert redaction_migration.redact_rows(AuditEntry.objects.all(), vendor=connection.vendor) == 0


@pytest.mark.postgres
def test_the_migration_lifts_the_append_only_trigger_only_for_its_own_updates():
    leaky, _, _ = crafted_rows()
    redaction_migration.redact_rows(AuditEntry.objects.filter(pk=leaky.pk), vendor=connection.vendor)
    leaky.refresh_from_db()
    assert leaky.before["api_key"] == REDACTED
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=leaky.pk).update(before={"api_key": "put back"})
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=leaky.pk).delete()
