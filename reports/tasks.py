"""Celery task for the stats review: recompute the rollup's dirty hours (reports/rollup.py).

Idempotent (an hour is recomputed from the posts, never adjusted), so acks_late is
safe; a tick with nothing dirty costs one indexed read."""

from celery import shared_task

COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(soft_time_limit=60, time_limit=90, **COMMON)
def stats_rollup_refresh() -> dict:
    from reports import rollup

    return rollup.refresh(limit=500, seconds=20.0)
