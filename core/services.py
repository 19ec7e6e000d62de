"""What every app's services share: the error a person reads, and queuing work.

A service that must start background work names the task (`"posts.tasks.bulk_run"`,
kept per app in `<app>/task_names.py`) instead of importing it: tasks import services,
never the other way, so there is no import cycle between them (tests/test_imports.py).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core import infra


class ServiceError(Exception):
    """A write that did not happen, with words for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def enqueue(name: str, *args: Any) -> bool:
    """Queue the task called `name` once the caller's transaction commits (a worker must
    see its rows).

    Services run outside a transaction, so the task is queued at once and the answer says
    whether it was; False means the task queue is down (infra names it)."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: infra.task_send(name, *args))
        return True
    return infra.task_send(name, *args)


def queue_down_words(what: str) -> str:
    return f"{infra.broker_name()} cannot be reached, so {what}"
