"""Celery tasks for alerts: thin, ids in, one service call. None of them touches
Oktopost, and they never hold the sync's lock: alerts cannot delay the sync."""

from celery import shared_task

COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**COMMON)
def alerts_detect() -> int:
    from alerts.services.detect import alerts_detect as detect

    return len(detect())


@shared_task(**COMMON)
def dispatch_send(dispatch_id: int) -> bool:
    from alerts.services.send import dispatch_send as send

    return send(dispatch_id=dispatch_id)


@shared_task(**COMMON)
def dispatches_send_due() -> int:
    from alerts.services.send import dispatches_send_due as send_due

    return send_due()


@shared_task(**COMMON)
def summaries_send() -> int:
    from alerts.services.digest import summaries_send as send

    return len(send())


@shared_task(**COMMON)
def reports_send_due() -> int:
    from alerts.services.reports import reports_send_due as send_due

    return len(send_due())
