"""The Celery app. Tasks are each app's `shared_task`s in its tasks.py, found by
autodiscovery; the beat schedule lives in settings."""

import logging
import os
import time
from urllib.parse import urlsplit

from celery import Celery, bootsteps
from celery.signals import beat_init, before_task_publish, worker_init
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oktodash.settings")


# The embedded broker URL in settings names it. Registered before `app` exists, and
# every connection is made through `app`, so the name is known wherever it is used.
TRANSPORT_ALIASES["oktodash-filesystem"] = "oktodash.broker:Transport"

log = logging.getLogger(__name__)

app = Celery("oktodash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _sync_at_start(sender, **kwargs) -> None:
    """Fill the mirror as soon as the product starts instead of after the first interval."""
    sender.app.send_task("posts.tasks.sync_posts")


@worker_init.connect
def _say_when_the_queue_is_unreachable(sender, **kwargs) -> None:
    """Celery retries the broker on its own; say once, in words, what it is waiting for."""
    from core.infra import broker_name

    try:
        with sender.app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as exc:  # whatever the transport raises, the words are the same
        log.error(
            "This worker cannot reach its task queue, %s (%s). It runs nothing until the "
            "queue is back, and keeps trying to connect.",
            broker_name(),
            exc.__class__.__name__,
        )


class Heartbeat(bootsteps.StartStopStep):
    """The worker's main process notes it is alive every HEARTBEAT_EVERY seconds, on the
    worker's own timer: /health/ says "no worker" when the notes stop."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        self.timer_ref = None

    def start(self, worker) -> None:
        from core.heartbeat import HEARTBEAT_EVERY, worker_alive_note

        worker_alive_note()
        self.timer_ref = worker.timer.call_repeatedly(HEARTBEAT_EVERY, worker_alive_note)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None


app.steps["worker"].add(Heartbeat)


@before_task_publish.connect
def _stamp_when_queued(headers=None, **kwargs) -> None:
    """When each task was queued, so /health/ can tell how long the oldest has waited."""
    from core.heartbeat import SENT_HEADER

    if headers is not None:
        headers.setdefault(SENT_HEADER, time.time())


@worker_init.connect
def _say_when_oktopost_is_the_sandbox(sender, **kwargs) -> None:
    """In sandbox mode (OKTOPOST_SANDBOX, which `make run` sets without credentials) say so
    once, in the process that calls Oktopost, so a run on demo data never passes for one
    on the account. The address is shown without any user or password in it."""
    from django.conf import settings

    if settings.OKTOPOST_SANDBOX:
        parts = urlsplit(settings.OKTOPOST_BASE_URL)
        where = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        log.warning(
            "No OKTOPOST_ACCOUNT_ID/OKTOPOST_API_KEY: using the local Oktopost sandbox at %s",
            where,
        )
