"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the `standardwebhooks`
library, so what we send is what the partners' own verifiers accept."""

import base64
import secrets as random_secrets
import uuid
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret


def new_secret() -> str:
    """A fresh endpoint secret in the spec's format: whsec_ + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def signature_header(*, secrets: list[str], message_id: str, timestamp: datetime, body: str) -> str:
    """`webhook-signature`: one v1 signature per secret, space separated (during a rotation the
    old secret signs too, so a receiver that has not switched yet still verifies)."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets if secret)


def signed_headers(*, secrets: list[str], message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(secrets=secrets, message_id=message_id, timestamp=timestamp, body=body),
    }
