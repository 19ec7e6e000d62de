"""A lock per Oktopost object, so writes to it happen one at a time (posts.models.WriteLock)."""

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from posts.models import WriteLock

# Longer than one write can take (a read and a write, each within the client's timeouts),
# so a live holder never loses the lock; a dead one frees it after this.
HOLD_AT_MOST = timedelta(seconds=90)
POLL = 0.05


class LockBusy(Exception):
    """Another write to the same object did not finish in time."""


@contextmanager
def write_lock(
    name: str,
    *,
    wait: float = 20.0,
    hold: timedelta = HOLD_AT_MOST,
    owner: str | None = None,
) -> Iterator[None]:
    """Hold `name` for the block, waiting up to `wait` seconds for another holder; a
    holder that died frees it `hold` after it took it.

    `owner` (at most 32 characters) names a holder that may come back after dying, such
    as a task delivered again: a hold left by the same owner is taken over at once."""
    token = owner or secrets.token_hex(8)
    deadline = time.monotonic() + wait
    while not _claim(name, token, hold):
        if time.monotonic() > deadline:
            raise LockBusy(name)
        time.sleep(POLL)
    try:
        yield
    finally:
        WriteLock.objects.filter(name=name, token=token).delete()


def _claim(name: str, token: str, hold: timedelta) -> bool:
    now = timezone.now()
    WriteLock.objects.filter(name=name, expires_at__lt=now).delete()
    if WriteLock.objects.filter(name=name, token=token).update(expires_at=now + hold):
        return True
    try:
        with transaction.atomic():
            WriteLock.objects.create(name=name, token=token, expires_at=now + hold)
    except IntegrityError:
        return False
    return True
