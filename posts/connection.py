"""The one place Django code builds an Oktopost client, from settings."""

from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

from oktopost.client import OktopostClient
from oktopost.limiter import Limiter, Limits, Priority, limiter_from_url


@cache
def _limiter(url: str, limits: Limits) -> Limiter:
    return limiter_from_url(url, limits)


def get_limits() -> Limits:
    """This installation's share of the API key, from settings."""
    return Limits(
        per_minute=settings.OKTOPOST_LIMIT_PER_MINUTE,
        per_5s=settings.OKTOPOST_LIMIT_PER_5S,
        per_day=settings.OKTOPOST_LIMIT_PER_DAY,
        editor_minute=settings.OKTOPOST_EDITOR_CALLS_PER_MINUTE,
        burst=settings.OKTOPOST_BACKGROUND_BURST,
    )


def get_limiter() -> Limiter:
    return _limiter(settings.OKTOPOST_LIMITER_URL, get_limits())


def get_client(*, priority: Priority = "background", max_wait: float = 30.0) -> OktopostClient:
    return OktopostClient(
        account_id=settings.OKTOPOST_ACCOUNT_ID,
        api_key=settings.OKTOPOST_API_KEY,
        region=settings.OKTOPOST_REGION,
        base_url=settings.OKTOPOST_BASE_URL or None,
        limiter=get_limiter(),
        timeout=settings.OKTOPOST_TIMEOUT,
        block_seconds=settings.OKTOPOST_BLOCK_SECONDS,
        priority=priority,
        max_wait=max_wait,
        user_agent=f"oktodash/{settings.VERSION}",
    )


def limiter_where() -> str:
    """Where the shared rate budget lives, for messages (never with a password)."""
    url = settings.OKTOPOST_LIMITER_URL
    if url.startswith(("redis://", "rediss://", "unix://")):
        parts = urlsplit(url)
        return f"Redis at {parts.hostname or 'localhost'}:{parts.port or 6379}"
    return url
