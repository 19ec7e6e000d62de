"""oktodash: a dashboard for teams who publish through Oktopost."""

__version__ = "0.1.0"

# The apps' tasks are `shared_task`s: they join whichever Celery app is current, and this
# makes it ours in every process that loads the project (web, worker, beat, commands).
from oktodash.celery import app as celery_app

__all__ = ["__version__", "celery_app"]
