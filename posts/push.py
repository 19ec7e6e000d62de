"""Whether Oktopost's webhooks are keeping the mirror current, as posts needs to know.

The inbox app, above posts, receives the webhooks and knows when the last one arrived;
posts only needs the answer, to let the incremental sync rest while pushes arrive
(`posts.sync.posts.incremental_may_rest`) and to plan the calls it saves for stats
(`posts.sync.budget`). posts declares the question here; `InboxConfig.ready` plugs the
inbox's answer in, so posts never imports inbox. Without it, webhooks are never healthy
and polling keeps its normal pace. Nothing of the sync is imported here: both the sync
and the plan ask this module.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from posts.plan import SYNC_EVERY

_healthy: Callable[[], bool] = lambda: False  # noqa: E731


def provide(healthy: Callable[[], bool]) -> None:
    global _healthy
    _healthy = healthy


def webhooks_healthy() -> bool:
    return _healthy()


def incremental_every() -> float:
    """Seconds between incremental passes: the safety net while webhooks are healthy."""
    if webhooks_healthy():
        return float(max(SYNC_EVERY, settings.WEBHOOKS_SAFETY_NET_SECONDS))
    return float(SYNC_EVERY)
