"""The Celery app. Tasks live in posts/tasks.py; the beat schedule lives in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oktodash.settings")

app = Celery("oktodash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
