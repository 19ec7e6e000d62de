"""The Celery app. Tasks live in posts/tasks.py; the beat schedule lives in settings."""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oktodash.settings")

app = Celery("oktodash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _sync_at_start(sender, **kwargs) -> None:
    """Fill the mirror as soon as the product starts instead of after the first interval."""
    sender.app.send_task("posts.tasks.sync_posts")
