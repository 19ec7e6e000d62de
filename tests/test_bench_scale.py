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
from posts.sync.locks import POSTS_LOCK, SyncBusy, state_get, sync_lock

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


def test_two_holds_never_let_go_count_as_crossing_when_the_second_began_in_the_first(
    tmp_path,
) -> None:
    # At 1M posts a layout can stop while its syncs still hold the lock.
    logs = _logs(
        tmp_path,
        [_lock("10:00:00,000", "held", "a:1:aa"), _finished("10:00:00,050", 0.05)],
        [_lock("10:00:01,000", "held", "b:2:bb")],
    )
    assert overlaps(logs)["sync"][2] == 1


class _HolderAtEmit(logging.Handler):
    """Each lock line's text and who held the lock as it was written."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((self.format(record), state_get(POSTS_LOCK).run_token))


@pytest.mark.django_db
def test_the_sync_lock_logs_its_hold_from_inside_it_in_the_lines_the_benchmark_reads() -> None:
    logger = logging.getLogger("posts.sync.locks")
    handler = _HolderAtEmit()
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with sync_lock(POSTS_LOCK), pytest.raises(SyncBusy), sync_lock(POSTS_LOCK):
            pass
        with pytest.raises(RuntimeError), sync_lock(POSTS_LOCK):
            raise RuntimeError("Oktopost went away")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    found = [(LOCK_LINE.match(line), holder) for line, holder in handler.seen]
    assert all(m for m, _ in found), handler.seen
    assert [m["what"] for m, _ in found] == ["held", "let go", "held", "let go"]
    # Each line was written while its own token held the lock: after the claim, before
    # the release (also when the block raised).
    assert all(m["token"] == holder for m, holder in found), handler.seen
    assert found[0][0]["token"] != found[2][0]["token"]
    assert state_get(POSTS_LOCK).run_token == ""
