"""Snapshots for the staff audit trail (accounts.AuditEntry).

A snapshot is the model's concrete fields as JSON values. Two kinds of field never reach it
with their value; each is replaced by a marker that still shows whether it was set:

- personal fields of players (emails, names, avatars), so erasing a player never needs to
  rewrite an append-only table;
- secrets, decided without a list to keep up to date:
  * by type: every field of django-fernet-encrypted-fields (any class defined in the
    `encrypted_fields` package, whatever its name: a field is encrypted because its value
    must not be read, and a decrypted copy in the trail would undo that);
  * by name (`is_secret_name`): a name containing "token", "secret", "passw", "passphrase",
    "credential", "webhook", "apikey" or "privatekey", or with a word "key", "seed", "otp" or
    "email", e.g. `api_key`, `refresh_token`, `webhook_url`, `client_secret`,
    `notification_email`, EmailConfirmation's bare `key`. A "key" preceded by a word that makes it
    an identifier (IDENTIFIER_KEY_QUALIFIERS: `idempotency_key`, `dedupe_key`, `period_key`,
    `routing_key`...) stays readable: such keys name a request or a period, they open nothing.
    The rule fails closed: a new `signing_key` is redacted until someone decides otherwise.
    Relations (their value is an id) and plain booleans (`hash_client_secret`) are never
    secrets and stay readable;
  * the same name rule inside JSON values, at any depth (a `metadata` dict with an
    `"api_key"`), and
  * THIRD_PARTY_SECRET_FIELDS: the few library fields whose name says nothing (allauth's MFA
    `Authenticator.data` holds the TOTP secret and recovery seed, an OAuth grant's `code`).

Any other value becomes JSON: decimals, dates, UUIDs as strings, sets as sorted lists, bytes
as their size and digest, and anything else (a timezone, an enum) as its str(); text loses the
NUL and lone surrogates that PostgreSQL's jsonb refuses. A snapshot never raises.
"""

import datetime
import decimal
import functools
import hashlib
import math
import re
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.functional import Promise

REDACTED = "<redacted>"
# A redacted field whose value changed between the two snapshots of one audit row.
REDACTED_CHANGED = "<redacted: changed>"
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
SECRET_SUBSTRINGS = ("token", "secret", "passw", "passphrase", "credential", "webhook", "apikey", "privatekey")
SECRET_WORDS = frozenset({"key", "keys", "seed", "otp"})
# A word of a name that makes it personal wherever it appears (`notification_email`).
PERSONAL_WORDS = frozenset({"email"})
# Words that, right before "key", make it an identifier rather than something that opens a door.
IDENTIFIER_KEY_QUALIFIERS = frozenset(
    {"idempotency", "dedupe", "period", "routing", "cache", "sort", "lookup", "natural", "primary", "foreign"}
)
# Library fields holding secrets under a name that does not say so (model label -> field names).
THIRD_PARTY_SECRET_FIELDS = {
    "mfa.Authenticator": frozenset({"data"}),
    "oauth2_provider.Grant": frozenset({"code", "code_challenge"}),
    "oauth2_provider.DeviceGrant": frozenset({"device_code", "user_code"}),
}
ENCRYPTED_FIELDS_PACKAGE = "encrypted_fields"
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Dates, decimals and UUIDs are written the way Django's JSON encoder writes them everywhere else.
_ENCODER = DjangoJSONEncoder()


def is_secret_name(name: str) -> bool:
    """The name rule: does a field or JSON key with this name hold a secret or personal data?"""
    lowered = str(name).lower()
    if lowered in PERSONAL_FIELDS or any(part in lowered for part in SECRET_SUBSTRINGS):
        return True
    words = [word for word in _WORD_SPLIT.split(lowered) if word]
    for index, word in enumerate(words):
        if word in ("key", "keys") and index > 0 and words[index - 1] in IDENTIFIER_KEY_QUALIFIERS:
            continue
        if word in SECRET_WORDS or word in PERSONAL_WORDS:
            return True
    return False


def is_encrypted_field(field) -> bool:
    """Any field class from django-fernet-encrypted-fields, found by its package, not its name."""
    return any((klass.__module__ or "").split(".")[0] == ENCRYPTED_FIELDS_PACKAGE for klass in type(field).__mro__)


def _is_secret_field(model, field) -> bool:
    if is_encrypted_field(field):
        return True
    if field.is_relation or isinstance(field, models.BooleanField):
        return False
    if field.name in THIRD_PARTY_SECRET_FIELDS.get(model._meta.label, ()):
        return True
    return is_secret_name(field.name) or is_secret_name(field.attname)


@functools.cache
def redacted_fields(model) -> frozenset:
    """Concrete fields of `model` whose value never enters the trail (names and attnames)."""
    found = set()
    for field in model._meta.concrete_fields:
        if _is_secret_field(model, field):
            found.update({field.name, field.attname})
    return frozenset(found)


def _clean_text(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def json_safe(value):
    """`value` as plain JSON (dict, list, str, number, bool, None), for any Python value.

    Keys of nested dicts that name a secret have their value replaced by REDACTED.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            key = _clean_text(str(key))
            if is_secret_name(key) and not isinstance(item, bool):
                cleaned[key] = _marker(item)
            else:
                cleaned[key] = json_safe(item)
        return cleaned
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((json_safe(item) for item in value), key=repr)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return f"<{len(data)} bytes sha256:{hashlib.sha256(data).hexdigest()[:16]}>"
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta | decimal.Decimal | uuid.UUID | Promise):
        return _ENCODER.default(value)
    return _clean_text(str(value))


def _marker(value):
    """REDACTED for a value that is set; an unset one (None, "") shows as itself."""
    if value is None or isinstance(value, str) and value == "":
        return value
    return REDACTED


def snapshot(obj: models.Model | None) -> dict | None:
    """The object's concrete field values, personal and secret ones redacted (None for no object)."""
    if obj is None:
        return None
    secret = redacted_fields(type(obj))
    values = {}
    for field in obj._meta.concrete_fields:
        name = field.attname if field.is_relation else field.name
        value = field.value_from_object(obj)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        values[name] = _marker(value) if name in secret else json_safe(value)
    return values


def raw_state(obj: models.Model) -> dict:
    """Every concrete field's raw value, secrets included: only compared, never stored."""
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}


def snapshot_after(obj: models.Model, *, before_state: dict | None) -> dict:
    """The snapshot of `obj` after a change: a redacted field whose value changed since
    `before_state` (its raw_state) says so, so the trail shows that the API key was replaced."""
    after = snapshot(obj)
    if before_state is None:
        return after
    secret = redacted_fields(type(obj))
    for field in obj._meta.concrete_fields:
        name = field.attname if field.is_relation else field.name
        if name in secret and before_state.get(field.attname) != field.value_from_object(obj):
            after[name] = REDACTED_CHANGED
    return after


@functools.cache
def _never_secret_fields(model) -> frozenset:
    """Fields whose stored value the name rule must not touch: relations (ids) and plain booleans."""
    return frozenset(
        name
        for field in model._meta.concrete_fields
        if (field.is_relation or isinstance(field, models.BooleanField)) and not is_encrypted_field(field)
        for name in (field.name, field.attname)
    )


def redact_stored_snapshot(data, model=None):
    """Apply today's rules to a snapshot already stored in an AuditEntry (see the accounts
    migration that redacts existing rows). `model` is the row's model when it still exists;
    without it only the name rule applies. Markers already there stay as they are."""
    if not isinstance(data, dict):
        return json_safe(data)
    secret = redacted_fields(model) if model is not None else frozenset()
    readable = _never_secret_fields(model) if model is not None else frozenset()
    cleaned = {}
    for key, value in data.items():
        if value in (REDACTED, REDACTED_CHANGED):
            cleaned[key] = value
        elif key in secret:
            cleaned[key] = _marker(value)
        elif key in readable or isinstance(value, bool):
            cleaned[key] = value
        elif is_secret_name(key):
            cleaned[key] = _marker(value)
        else:
            cleaned[key] = json_safe(value)
    return cleaned
