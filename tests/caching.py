"""Clearing the cache between tests without touching another pytest-xdist worker's keys.

With REDIS_URL set every worker shares one Redis database; Django's `cache.clear()` is FLUSHDB
there, which would reset the throttle windows and counters another worker's test is counting.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def clear_cache(alias: str = "default") -> None:
    """Delete this worker's keys (its KEY_PREFIX) from the cache; the whole cache when not Redis."""
    cache = caches[alias]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    pattern = f"{cache.key_prefix}:*" if cache.key_prefix else "*"
    keys = list(client.scan_iter(match=pattern, count=500))
    if keys:
        client.delete(*keys)
