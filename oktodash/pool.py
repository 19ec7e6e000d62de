"""The worker's prefork pool, which a pool process killed while it waits cannot wedge.

With a transport that has no event loop (the embedded broker), Celery runs billiard's
threaded pool (``BlockingPool`` in celery/concurrency/prefork.py): all pool processes
read their tasks from one pipe under a read lock, and write their results to another
under a write lock. Both locks are POSIX semaphores, and an idle pool process holds
the read lock while it waits for its next task. A semaphore is never released for a
holder that dies, so a pool process SIGKILLed while idle (by an operator, the OOM
killer) left the read lock taken for good: every pool process started after it blocked
on it, tasks piled up, and the worker's own shutdown blocked on it too
(https://github.com/celery/billiard/issues/104). Here both locks are POSIX record locks,
which the kernel drops with the process holding them, however it dies.

With Redis, Celery runs its asynchronous pool instead, which gives each pool process
pipes of its own and no shared lock; that pool is unchanged.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
import time

from billiard.pool import Pool
from celery.concurrency import prefork

# Every ProcessLock of this process, for the fork handler below.
_locks: list[ProcessLock] = []


class ProcessLock:
    """A lock that the processes of one pool share and that ends with its holder.

    A POSIX record lock (``lockf``) on one byte of a file. Such a lock belongs to a
    process: the kernel drops it when the process dies, and a forked process does not
    inherit it. It does not keep the threads of one process apart, so a thread lock does
    that first. The file descriptor is inherited by the pool processes (they are forked,
    never spawned) and never closed: closing any descriptor of the file would drop the
    process's locks on it. It offers what billiard uses of ``multiprocessing.Lock``:
    ``acquire(block, timeout)``, ``release`` and ``with``.
    """

    def __init__(self, fd: int, byte: int) -> None:
        self._fd = fd
        self._byte = byte
        self._threads = threading.Lock()
        _locks.append(self)

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        if block and timeout is None:
            self._threads.acquire()
            self._lockf(fcntl.LOCK_EX)
            return True
        deadline = time.monotonic() + ((timeout or 0.0) if block else 0.0)
        if not self._threads.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return False
        while True:
            try:
                self._lockf(fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except (BlockingIOError, PermissionError):  # held: EAGAIN or EACCES
                if time.monotonic() >= deadline:
                    self._threads.release()
                    return False
                time.sleep(0.01)

    def release(self) -> None:
        self._lockf(fcntl.LOCK_UN)
        self._threads.release()

    def _lockf(self, operation: int) -> None:
        fcntl.lockf(self._fd, operation, 1, self._byte, os.SEEK_SET)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _new_thread_locks() -> None:
    # A thread of the parent may have held a thread lock when it forked; the record lock
    # that went with it stayed with the parent.
    for lock in _locks:
        lock._threads = threading.Lock()


os.register_at_fork(after_in_child=_new_thread_locks)


def unnamed_file() -> int:
    """A descriptor of an empty file that has no name, so nothing is left behind."""
    fd, name = tempfile.mkstemp(prefix="oktodash-pool-")
    os.unlink(name)
    return fd


class BlockingPool(Pool):
    """billiard's threaded pool with its two shared locks replaced by ``ProcessLock``s.

    The parent writes tasks and reads results without locks (``_quick_put``,
    ``_quick_get``); the pool processes take the read lock of the task pipe and the write
    lock of the result pipe, so these two are the ones a dead pool process can hold."""

    def _setup_queues(self) -> None:
        super()._setup_queues()
        fd = unnamed_file()
        self._inqueue._rlock = ProcessLock(fd, 0)
        self._outqueue._wlock = ProcessLock(fd, 1)


class TaskPool(prefork.TaskPool):
    """Celery's prefork pool (``worker_pool`` in settings), with that threaded pool."""

    BlockingPool = BlockingPool
