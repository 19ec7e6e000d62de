"""The cache on Redis."""


def redis_cache(url: str) -> dict[str, object]:
    """The cache on Redis at `url`. A pooled connection from before a Redis restart fails
    on its first use: redis-py tries again at once on a fresh one, so the first page
    after Redis is back does not report it down."""
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "oktodash",
        "OPTIONS": {
            "retry": Retry(NoBackoff(), 1),
            "retry_on_error": [RedisConnectionError],
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
    }
