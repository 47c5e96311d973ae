"""Fixtures of the payment tests: Stripe's API answered by a local server in its wire format,
its webhook signature built the way Stripe builds it, staff of each role."""

import hashlib
import hmac
import json
import time

import pytest
import stripe

from accounts.models import StaffRole
from accounts.services import create_staff

STRIPE_WEBHOOK_SECRET = "whsec_test_secret_for_signing_0123456789"


def stripe_signature(payload: str, *, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload" under the endpoint secret>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def stripe_event(event_id: str, type: str, obj: dict) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": type,
            "data": {"object": obj},
        }
    )


@pytest.fixture
def stripe_api(settings, httpserver):
    """Stripe switched on, its SDK pointed at a local server that answers in Stripe's shapes."""
    settings.STRIPE_SECRET_KEY = "sk_test_local"
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    saved = stripe.api_base, stripe.max_network_retries
    stripe.api_base = httpserver.url_for("").rstrip("/")
    yield httpserver
    stripe.api_base, stripe.max_network_retries = saved


@pytest.fixture
def accounting():
    return create_staff(username="acc1", email="acc1@nodebyte.example", role=StaffRole.ACCOUNTING).user


@pytest.fixture
def accounting_two():
    return create_staff(username="acc2", email="acc2@nodebyte.example", role=StaffRole.ACCOUNTING).user


@pytest.fixture
def support_user():
    return create_staff(username="sup1", email="sup1@nodebyte.example", role=StaffRole.SUPPORT).user


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a service queued for after commit (a payout, a sandbox delivery) as a real commit would."""
    return django_capture_on_commit_callbacks
