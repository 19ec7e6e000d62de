"""Whether Oktopost's webhooks are keeping the mirror current, as posts needs to know.

The inbox app, above posts, receives the webhooks and knows when the last one arrived;
posts only needs the answer, to let the incremental sync rest while pushes arrive (the
calls it saves go to stats). posts declares the question here; `InboxConfig.ready` plugs
the inbox's answer in, so posts never imports inbox. Without it, webhooks are never
healthy and polling keeps its normal pace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from posts.sync.locks import POSTS_LOCK, state_get
from posts.sync.posts import reconcile_due

_healthy: Callable[[], bool] = lambda: False  # noqa: E731


def provide(healthy: Callable[[], bool]) -> None:
    global _healthy
    _healthy = healthy


def webhooks_healthy() -> bool:
    return _healthy()


def incremental_may_rest(*, now: datetime | None = None) -> bool:
    """True when this incremental pass may be skipped: webhooks are healthy, a pass
    succeeded within WEBHOOKS_SAFETY_NET_SECONDS, and no reconcile is due or half done
    (the reconcile keeps its pace: deletions in a missed webhook show only there)."""
    if not webhooks_healthy():
        return False
    now = now or timezone.now()
    state = state_get(POSTS_LOCK)
    if state.window or state.last_success is None:
        return False
    if now - state.last_success >= timedelta(seconds=settings.WEBHOOKS_SAFETY_NET_SECONDS):
        return False
    return not reconcile_due(now)
