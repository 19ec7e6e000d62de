"""The services pages lean on besides the database: the cache and the task queue.

Either may be down (Redis stopped, var/ unwritable). Pages then still come from the
database: a cache read answers its default, a task that cannot be queued is reported
in words, and the status bar names what is down. Failures are remembered per process
for OUTAGE_MEMORY, so one refused call does not mean a probe on every later request.
"""

import contextlib
import errno
import fcntl
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

OUTAGE_MEMORY = 60.0  # seconds a failure is shown after the last one seen
_failed_at: dict[str, float] = {}
_errors: dict[str, str] = {}


def _redis_where() -> str:
    parts = urlsplit(settings.REDIS_URL)
    return f"Redis at {parts.hostname or 'localhost'}:{parts.port or 6379}"


def cache_name() -> str:
    return _redis_where() if settings.REDIS_URL else "the file cache (var/cache)"


def media_folder() -> Path:
    """Uploaded files and cached thumbnails (attachments.storage)."""
    return Path(settings.VAR_DIR) / "media"


def media_probe() -> None:
    """Raise OSError unless the media folder takes a new file and has room for uploads."""
    folder = media_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
        pass
    free = shutil.disk_usage(folder).free
    if free < settings.MEDIA_MIN_FREE_MB * 1024 * 1024:
        raise OSError(errno.ENOSPC, f"only {free // (1024 * 1024)} MB free", str(folder))


def broker_name() -> str:
    return _redis_where() if settings.REDIS_URL else "the task queue folder (var/broker)"


def note_down(service: str, exc: BaseException) -> None:
    if service not in _failed_at or time.monotonic() - _failed_at[service] > OUTAGE_MEMORY:
        log.warning("%s is unreachable: %s: %s", service, exc.__class__.__name__, exc)
    _failed_at[service] = time.monotonic()
    _errors[service] = exc.__class__.__name__


def note_up(service: str) -> None:
    _failed_at.pop(service, None)
    _errors.pop(service, None)


def outages() -> list[str]:
    """What is down right now, in words, for the status bar."""
    _recheck()
    now = time.monotonic()
    words = {
        "cache": f"{cache_name()} cannot be reached: pages come straight from the database, "
        "and whether the background worker is running cannot be checked.",
        "broker": f"{broker_name()} cannot be reached: background work (syncs, stats, bulk "
        "changes) cannot be queued until it is back.",
    }
    down = [words[s] for s, at in sorted(_failed_at.items()) if now - at < OUTAGE_MEMORY]
    return [sentence[0].upper() + sentence[1:] for sentence in down]


def _recheck() -> None:
    """Look again at what was noted down before naming it: once Redis or the queue folder
    is back, the first page after says so (the banner used to stay one page longer)."""
    if "cache" in _failed_at:
        cache_get("oktodash:probe")
    if "broker" in _failed_at:
        with contextlib.suppress(Exception):  # still down: it stays noted
            broker_probe()
            note_up("broker")


def broker_probe() -> None:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


def _cache_call[T](call: Callable[[], T], default: T) -> T:
    try:
        result = call()
    except Exception as exc:  # any backend's failure: Redis, a full disk, permissions
        note_down("cache", exc)
        return default
    note_up("cache")
    return result


def cache_get(key: str, default: Any = None) -> Any:
    return _cache_call(lambda: cache.get(key, default), default)


def cache_set(key: str, value: Any, timeout: float) -> bool:
    return _cache_call(lambda: cache.set(key, value, timeout) or True, False)


def task_send(name: str, *args: Any) -> bool:
    """Queue the task called `name` now; False (with the broker noted down) when it cannot
    be queued. By name, so that no service imports a tasks module (tasks import services);
    services call `core.services.enqueue`, which waits for their transaction to commit.

    A signature by name is sent as the task itself where the task is loaded (a worker,
    tests running tasks eagerly) and by `send_task` elsewhere: the same message."""
    try:
        current_app.signature(name).apply_async(args=args, retry=False)
    except Exception as exc:  # kombu/redis/OS errors: the broker is not there
        note_down("broker", exc)
        return False
    note_up("broker")
    return True


def rate_take(key: str, *, limit: int, window: int) -> bool:
    """One more use of `key` in the current `window` seconds; False past `limit`.

    Counted atomically on every backend: Redis increments in one command; the file,
    local-memory and database caches read and write a counter separately (two requests
    at once both read 5 and both write 6), so on them the count is taken under an
    exclusive lock on a file in VAR_DIR, which holds across threads and across the web
    server's worker processes. Fails open when the cache is down: what this guards is
    bounded elsewhere (the shared API budget; share tokens that cannot be guessed)."""
    bucket = f"rate:{key}:{int(time.time() // window)}"
    try:
        if isinstance(caches["default"], RedisCache):
            count = _count(bucket, window)
        else:
            with _counter_lock():
                count = _count(bucket, window)
    except Exception as exc:  # the cache is down
        note_down("cache", exc)
        return True
    note_up("cache")
    return count <= limit


def _count(bucket: str, window: int) -> int:
    cache.add(bucket, 0, window)
    try:
        return cache.incr(bucket)
    except ValueError:  # expired between add and incr: a new window
        cache.set(bucket, 1, window)
        return 1


@contextlib.contextmanager
def _counter_lock() -> Iterator[None]:
    # flock is per open file description: each call opens its own, so threads of one
    # process exclude each other as processes do. The lock ends when the file closes.
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.VAR_DIR / "ratelimit.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield
