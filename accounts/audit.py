"""Snapshots for the staff audit trail (accounts.AuditEntry).

A snapshot is the model's concrete fields as JSON-safe values. Personal fields of players
(emails, names, avatars, passwords) are replaced by a marker: the trail shows that they changed
without keeping the data, so erasing a player never needs to rewrite an append-only table.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

REDACTED = "<redacted>"
# Field names never copied into the trail, on whatever model they appear.
PERSONAL_FIELDS = frozenset(
    {
        "password",
        "email",
        "first_name",
        "last_name",
        "full_name",
        "avatar",
        "client_secret",
        "token",
        "secret",
        "session_key",
        "ip",
        "user_agent",
    }
)


def snapshot(obj: models.Model | None) -> dict | None:
    """The object's concrete field values, personal ones redacted (None for no object)."""
    if obj is None:
        return None
    values = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        if field.name in PERSONAL_FIELDS:
            values[field.name] = REDACTED if value not in (None, "") else value
            continue
        values[field.attname if field.is_relation else field.name] = value
    # Round-trip through the JSON encoder: decimals, dates and UUIDs become strings.
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def raw_state(obj: models.Model) -> dict:
    """Every concrete field's raw value, personal ones included: only compared, never stored."""
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}
