"""Celery tasks for alerts: thin, ids in, one service call. None of them touches
Oktopost, and they never hold the sync's lock: alerts cannot delay the sync."""

from oktodash.celery import app

COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@app.task(**COMMON)
def alerts_detect() -> int:
    from alerts.services.detect import alerts_detect as detect

    return len(detect())


@app.task(**COMMON)
def dispatch_send(dispatch_id: int) -> bool:
    from alerts.services.send import dispatch_send as send

    return send(dispatch_id=dispatch_id)


@app.task(**COMMON)
def dispatches_send_due() -> int:
    from alerts.services.send import dispatches_send_due as send_due

    return send_due()


@app.task(**COMMON)
def summaries_send() -> int:
    from alerts.services.digest import summaries_send as send

    return len(send())
