"""The HTTP side every panel client shares: timeouts, a client-side rate limit, retries with backoff.

Retried: connection errors, timeouts, 429 and 5xx, waiting what `Retry-After` asks (capped) or a
growing backoff. Never logged or put in an error: the request's headers (the API key rides in
`Authorization`). Errors carry the method, the path and the panel's own `errors[]`.
"""

import logging
import threading
import time
from collections.abc import Callable

import httpx
from django.conf import settings

from games.hosting.errors import PanelAuthFailed, PanelError, PanelNotFound, PanelRejected, PanelUnreachable

logger = logging.getLogger(__name__)

RETRIED_STATUSES = {429, 500, 502, 503, 504}


def pause(seconds: float) -> None:
    """Wait before a retry (its own name so tests can record the waits instead of sleeping)."""
    time.sleep(seconds)


def _setting(name: str, default):
    return getattr(settings, name, default)


class TokenBucket:
    """At most `per_minute` calls a minute to one panel from this process, in bursts up to `burst`."""

    def __init__(self, per_minute: int, burst: int = 20, clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60.0
        self.capacity = float(max(1, min(burst, per_minute)))
        self.tokens = self.capacity
        self.clock = clock
        self.updated = clock()
        self.lock = threading.Lock()

    def wait_time(self) -> float:
        """Take a token; return how long the caller must wait before using it."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


_buckets: dict[str, TokenBucket] = {}
_buckets_lock = threading.Lock()


def bucket_for(base_url: str) -> TokenBucket:
    with _buckets_lock:
        if base_url not in _buckets:
            _buckets[base_url] = TokenBucket(int(_setting("PANEL_RATE_LIMIT_PER_MINUTE", 200)))
        return _buckets[base_url]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _panel_errors(response: httpx.Response) -> list[dict]:
    """The panel's `errors[]` (Pterodactyl: code, status, detail, meta), or the body's message."""
    try:
        body = response.json()
    except ValueError:
        return [{"code": "", "status": str(response.status_code), "detail": response.text[:300]}]
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return [
            {k: e.get(k) for k in ("code", "status", "detail", "meta") if k in e}
            for e in body["errors"]
            if isinstance(e, dict)
        ]
    if isinstance(body, dict) and body.get("msg") or isinstance(body, dict) and body.get("message"):
        return [{"code": "", "status": str(response.status_code), "detail": str(body.get("msg") or body["message"])}]
    return []


class PanelHttp:
    """One panel's HTTP API: `request()` returns the decoded JSON (or None for 204)."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: dict,
        name: str,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.sleep = sleep or (lambda seconds: pause(seconds))
        self.max_retries = int(_setting("PANEL_MAX_RETRIES", 3))
        self.backoff = float(_setting("PANEL_RETRY_BASE_SECONDS", 0.5))
        self.max_wait = float(_setting("PANEL_RETRY_MAX_WAIT_SECONDS", 30))
        self.bucket = bucket_for(self.base_url)
        self.client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(float(_setting("PANEL_HTTP_TIMEOUT_SECONDS", 10)), connect=5.0),
            transport=transport,
            follow_redirects=False,
        )

    def close(self):
        self.client.close()

    def request(self, method: str, path: str, *, params=None, json=None):
        where = f"{method} {path}"
        for attempt in range(self.max_retries + 1):
            wait = self.bucket.wait_time()
            if wait:
                self.sleep(wait)
            last_try = attempt == self.max_retries
            try:
                response = self.client.request(method, path, params=params, json=json)
            except httpx.TransportError as exc:
                logger.warning("%s %s: %s (attempt %s)", self.name, where, type(exc).__name__, attempt + 1)
                if last_try:
                    raise PanelUnreachable(
                        f"{self.name} is not reachable ({where}: {type(exc).__name__}).", details={"call": where}
                    ) from None
                self.sleep(min(self.max_wait, self.backoff * 2**attempt))
                continue
            logger.info("%s %s -> %s", self.name, where, response.status_code)
            if response.status_code in RETRIED_STATUSES and not last_try:
                asked = _retry_after(response)
                self.sleep(min(self.max_wait, asked if asked is not None else self.backoff * 2**attempt))
                continue
            return self._decoded(response, where)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _decoded(self, response: httpx.Response, where: str):
        status = response.status_code
        if status < 300:
            if status == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise PanelError(f"{self.name} answered {where} with a body that is not JSON.", status=status) from None
        errors = _panel_errors(response)
        detail = "; ".join(str(e.get("detail") or e.get("code") or "") for e in errors if e) or response.reason_phrase
        message = f"{self.name} refused {where} ({status}): {detail}"
        kwargs = {"status": status, "errors": errors, "details": {"call": where}}
        if status in (401, 403):
            raise PanelAuthFailed(message, **kwargs)
        if status == 404:
            raise PanelNotFound(message, **kwargs)
        if status in RETRIED_STATUSES:
            raise PanelUnreachable(message, **kwargs)
        if 400 <= status < 500:
            raise PanelRejected(message, **kwargs)
        raise PanelError(message, **kwargs)
