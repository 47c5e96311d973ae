"""Throttling: one request budget per OAuth2 application, a fixed-window counter in the shared cache.

With Redis, the request's count is taken in the same round trip in which authentication reads the
token generation (`nodebyte_platform.api.auth`): one Redis call per API request in all.
"""

import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SCOPE = "application"


def _rate():
    # Read at call time so a settings change (and tests) take effect without a restart.
    return api_settings.DEFAULT_THROTTLE_RATES.get(SCOPE)


def budget_window(application_id, *, now: float | None = None) -> tuple[str, int, int] | None:
    """(cache key of this window's counter, window seconds, allowed requests), or None: no limit."""
    rate = _rate()
    if rate is None:
        return None
    allowed, duration = SimpleRateThrottle.parse_rate(None, rate)
    now = time.time() if now is None else now
    return f"throttle_{SCOPE}_app:{application_id}:{int(now // duration)}", duration, allowed


_clients: dict[str, object] = {}


def redis_client():
    """A Redis client of the default cache, made once per process (it pools its connections), or
    None when the cache is not Redis. Django's own makes a client object on every call."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    location = ",".join(backend._servers)
    if location not in _clients:
        _clients[location] = backend._cache.get_client(write=True)
    return _clients[location]


def count_in_pipeline(pipeline, key: str, duration: int) -> None:
    """Queue the window counter's increment (and its expiry, on its first request) on a Redis pipeline."""
    raw_key = caches["default"].make_and_validate_key(key)
    pipeline.incr(raw_key)
    pipeline.expire(raw_key, duration + 1, nx=True)


class ApplicationRateThrottle(SimpleRateThrottle):
    """One budget per OAuth2 application (API_THROTTLE_RATE).

    A fixed-window counter: one atomic increment per request, whatever the rate. (DRF's own
    sliding window pickles the list of every request time in the window on each request,
    which costs more the higher the rate.)
    """

    scope = SCOPE

    def get_rate(self):
        return _rate()

    def get_cache_key(self, request, view):
        application_id = getattr(request.auth, "application_id", None)
        ident = f"app:{application_id}" if application_id else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        now = time.time()
        self.wait_seconds = self.duration - (now % self.duration)
        count = getattr(request, "_api_budget_count", None)  # counted by authentication's round trip
        if count is None:
            count = self._count(f"{self.get_cache_key(request, view)}:{int(now // self.duration)}")
        return count <= self.num_requests

    def _count(self, bucket: str) -> int:
        client = redis_client()
        if client is not None:
            key = caches["default"].make_and_validate_key(bucket)
            pipeline = client.pipeline(transaction=False)
            pipeline.incr(key)
            pipeline.expire(key, int(self.duration) + 1, nx=True)
            return int(pipeline.execute()[0])
        cache = caches["default"]
        try:
            return cache.incr(bucket)
        except ValueError:  # first request of the window
            return 1 if cache.add(bucket, 1, self.duration + 1) else cache.incr(bucket)

    def wait(self):
        return max(1.0, self.wait_seconds)
