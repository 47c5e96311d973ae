"""Throttling: one request budget per OAuth2 application."""

import time

from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class ApplicationRateThrottle(SimpleRateThrottle):
    """One budget per OAuth2 application (API_THROTTLE_RATE), counted in the default cache (Redis when set).

    A fixed-window counter: one atomic increment per request, whatever the rate. (DRF's own
    sliding window pickles the list of every request time in the window on each request,
    which costs more the higher the rate.)
    """

    scope = "application"

    def get_rate(self):
        # Read at call time so a settings change (and tests) take effect without a restart.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        application_id = getattr(request.auth, "application_id", None)
        ident = f"app:{application_id}" if application_id else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.wait_seconds = self.duration - (now % self.duration)
        bucket = f"{self.get_cache_key(request, view)}:{window}"
        return self._count(bucket) <= self.num_requests

    def _count(self, bucket: str) -> int:
        redis_backend = getattr(self.cache, "_cache", None)
        if isinstance(self.cache, RedisCache) and redis_backend is not None:
            # One round trip: increment, and start the window's expiry on its first request.
            key = self.cache.make_and_validate_key(bucket)
            pipeline = redis_backend.get_client(key, write=True).pipeline(transaction=False)
            pipeline.incr(key)
            pipeline.expire(key, int(self.duration) + 1, nx=True)
            return int(pipeline.execute()[0])
        try:
            return self.cache.incr(bucket)
        except ValueError:  # first request of the window
            return 1 if self.cache.add(bucket, 1, self.duration + 1) else self.cache.incr(bucket)

    def wait(self):
        return max(1.0, self.wait_seconds)
