"""A real prefork worker, as the Procfile runs it, whose pool processes are killed mid-task.

Issue 22, case 4: after such a kill the new pool processes blocked for good on the lock
of the pipe their tasks come through (oktodash/pool.py), while tasks piled up.
"""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from oktodash.pool import ProcessLock, unnamed_file
from posts import tasks
from posts.models import Post
from reports import tasks as report_tasks
from tests.test_tasks import ROOT, _worker_env, app_on_broker, filesystem_broker, wait_for

HOLD = """
import sys, time
from oktodash.pool import ProcessLock, unnamed_file
ProcessLock(int(sys.argv[1]), 0).acquire()
print("held", flush=True)
time.sleep(60)
"""


def pool_processes(worker: int) -> set[int]:
    """The worker's children: its pool processes, started by whichever of its threads."""
    found: set[int] = set()
    for thread in Path(f"/proc/{worker}/task").iterdir():
        children = (thread / "children").read_text().split()
        found.update(int(pid) for pid in children)
    return found


def stats_stored() -> int:
    return Post.objects.filter(stats_at__isnull=False).count()


def succeeded(log: Path, task_id: str) -> bool:
    return f"[{task_id}] succeeded" in log.read_text()


def test_a_pool_lock_whose_holder_was_killed_can_be_taken() -> None:
    fd = unnamed_file()
    lock = ProcessLock(fd, 0)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(fd)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        pass_fds=(fd,),
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert not lock.acquire(timeout=0.2)
        holder.kill()
        holder.wait(10)
        assert lock.acquire(timeout=5)
        lock.release()
    finally:
        holder.kill()
        holder.wait(10)
        os.close(fd)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_pool_processes_killed_mid_task_give_way_to_ones_that_run_the_next_tasks(
    mirror, tmp_path: Path
) -> None:
    url, options = filesystem_broker(tmp_path)
    env = _worker_env(mirror, url, tmp_path) | {"REMAP_SIGTERM": "SIGQUIT"}
    log = tmp_path / "worker.log"
    # The Procfile's worker line: the pool comes from settings, as it does there.
    command = ["-m", "celery", "-A", "oktodash", "worker", "--concurrency", "2"]
    worker = subprocess.Popen(
        [sys.executable, *command, "--without-gossip", "--without-mingle", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: len(pool_processes(worker.pid)) == 2, timeout=30, what="the pool")
        # Each stats call takes 0.3 s: a refresh of 10 posts that has stored one post's
        # stats is still running, while the other pool process waits for a task. (A call
        # cut off by a kill is never stored.)
        mirror.control("POST", "faults", {"latency_ms": 300})
        with app_on_broker(url, options):
            for _ in range(2):
                stored = stats_stored()
                tasks.refresh_stats.delay(limit=10)
                wait_for(
                    lambda stored=stored: stats_stored() > stored,
                    timeout=20,
                    what="a pool process to run a stats refresh",
                )
                killed = pool_processes(worker.pid)
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)
                wait_for(
                    lambda killed=killed: len(pool_processes(worker.pid) - killed) == 2,
                    timeout=10,
                    what="new pool processes",
                )
            mirror.control("POST", "faults", {})
            queued = [
                report_tasks.stats_rollup_refresh.delay().id,
                tasks.refresh_stats.delay(limit=1).id,
                report_tasks.stats_rollup_refresh.delay().id,
                tasks.refresh_stats.delay(limit=1).id,
            ]
        # The killed tasks keep the worker's two prefetch slots until Celery gives them up
        # for lost (CELERY_WORKER_LOST_WAIT, 3 s): these start seconds after the last kill.
        wait_for(
            lambda: all(succeeded(log, task_id) for task_id in queued),
            timeout=45,
            what="the tasks queued after the kills",
        )
        # Before, the worker's own shutdown waited for the same lock too.
        running = len(log.read_text())
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0
        assert "Traceback" not in log.read_text()[running:]
    finally:
        # The whole session: pool processes outlive a worker that is killed.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
