"""Celery task of the attachments: a thin wrapper around attachments.services.

Idempotent (it deletes only files days old), so acks_late is safe."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, time_limit=600)
def attachments_prune() -> dict:
    """Daily: stored files Oktopost has (or never took) and stale thumbnails."""
    from attachments import services

    pruned = services.files_prune()
    return {"files": pruned.files, "cached": pruned.cached, "partial": pruned.partial}
