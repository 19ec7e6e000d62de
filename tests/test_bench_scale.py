"""bench.scale's double-work check reads the sync lock's own holds from the workers' logs.

A task's time in Celery's "succeeded in" line also covers what the task does before it
claims the lock and the log's delay after: two syncs one after the other could read as
crossing by a few milliseconds (a 2x2 run at 100k counted one such "overlap").
"""

import logging
from pathlib import Path

import pytest
from django.conf import settings

from bench.scale import LOCK_LINE, overlaps
from posts.sync.locks import POSTS_LOCK, SyncBusy, sync_lock

RESULT = "{'kind': 'incremental', 'created': 0, 'calls': 1}"


def _finished(at: str, seconds: float) -> str:
    return (
        f"[2026-12-07 {at}: INFO/ForkPoolWorker-1] Task posts.tasks.sync_posts[x] "
        f"succeeded in {seconds}s: {RESULT}"
    )


def _lock(at: str, what: str, token: str, *, plain: bool = False) -> str:
    """The lock's line as a worker's log has it (Celery's format), or Django's."""
    if plain:
        return f"2026-12-07 {at} INFO posts.sync.locks: sync lock posts {what} by {token}"
    return f"[2026-12-07 {at}: INFO/ForkPoolWorker-2] sync lock posts {what} by {token}"


def _logs(tmp_path: Path, *workers: list[str]) -> list[Path]:
    paths = []
    for i, lines in enumerate(workers):
        path = tmp_path / f"worker-{i}.log"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def test_runs_that_held_the_lock_one_after_the_other_do_not_count_as_crossing(tmp_path) -> None:
    # Worker 0's run held the lock 35.340-35.375 and logged its end at 35.383; worker 1's
    # run started its task at 35.371 (runtime 6.749 s, most of it waiting for the API
    # budget) and claimed the lock at 35.378.
    logs = _logs(
        tmp_path,
        [
            _lock("23:26:35,341", "held", "a:1:aa"),
            _lock("23:26:35,375", "let go", "a:1:aa"),
            _finished("23:26:35,383", 0.043),
        ],
        [
            _lock("23:26:35,378", "held", "b:2:bb"),
            _lock("23:26:42,110", "let go", "b:2:bb"),
            _finished("23:26:42,120", 6.749),
        ],
    )
    assert overlaps(logs)["sync"] == (2, 0, 0)


def test_holds_that_cross_are_counted_and_one_never_let_go_runs_to_the_end(tmp_path) -> None:
    logs = _logs(
        tmp_path,
        [_lock("10:00:00,000", "held", "a:1:aa"), _lock("10:00:05,000", "let go", "a:1:aa")],
        [
            _lock("10:00:04,000", "held", "b:2:bb", plain=True),
            _lock("10:00:06,000", "let go", "b:2:bb", plain=True),
        ],
        [_lock("10:00:09,000", "held", "c:3:cc"), _lock("10:00:10,000", "held", "d:4:dd")],
    )
    assert overlaps(logs)["sync"][2] == 2


@pytest.mark.django_db
def test_the_sync_lock_logs_its_hold_in_the_lines_the_benchmark_reads(caplog) -> None:
    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    with caplog.at_level(logging.INFO, logger="posts.sync.locks"):
        with sync_lock(POSTS_LOCK), pytest.raises(SyncBusy), sync_lock(POSTS_LOCK):
            pass
        with pytest.raises(RuntimeError), sync_lock(POSTS_LOCK):
            raise RuntimeError("Oktopost went away")
    lines = [formatter.format(r) for r in caplog.records if r.name == "posts.sync.locks"]
    found = [LOCK_LINE.match(line) for line in lines]
    assert all(found), lines
    assert [m["what"] for m in found] == ["held", "let go", "held", "let go"]
    assert found[0]["token"] == found[1]["token"] != found[2]["token"] == found[3]["token"]
