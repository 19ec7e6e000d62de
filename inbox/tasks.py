"""Celery tasks: a post's stored webhook events applied, and the sweep that queues what
waits. Both are idempotent (events are marked processed; a post is processed by one
worker at a time), so acks_late is safe."""

from celery import shared_task

from inbox import services
from oktopost.errors import RateLimited, RetryableError

COMMON = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(RetryableError, services.LockBusy),
    dont_autoretry_for=(RateLimited,),
    **COMMON,
)
def events_process(post_id: str) -> dict:
    return services.events_process(post_id)


@shared_task(soft_time_limit=50, time_limit=60, **COMMON)
def events_sweep() -> int:
    return services.events_sweep()
