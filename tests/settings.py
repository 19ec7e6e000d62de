"""The settings the test run uses: the product's own, with local state of the run's own.

pytest-xdist runs the suite in several processes at once. Each one gets:
- its own VAR_DIR under var/test/ (file cache, embedded broker, rate-limit file, media,
  mail files, the SQLite test database), so that one process emptying its cache or
  its queue never touches another's, and a test run never touches `make run`'s var/;
- its own Redis databases when REDIS_URL is set (CI's second pass): the cache and
  broker database is flushed between tests, so processes must not share one.

Everything else is `oktodash.settings`, read from the environment as in production.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... or "" without xdist
INDEX = int(WORKER[2:]) if WORKER.startswith("gw") else 0


def _redis_db(url: str, db: int) -> str:
    return urlsplit(url)._replace(path=f"/{db}").geturl()


# CI runs its PostgreSQL pass beside the SQLite one: OKTODASH_TEST_LANE=1 gives that run
# folders and Redis databases of its own (lane 0: var/test/gwN, databases 15 down to 8;
# lane 1: var/test/lane1/gwN, databases 7 down to 0).
LANE = int(os.environ.get("OKTODASH_TEST_LANE", "0") or 0)
os.environ["VAR_DIR"] = str(
    ROOT / "var" / "test" / (f"lane{LANE}" if LANE else "") / (WORKER or "main")
)
os.environ.setdefault("SECRET_KEY", "insecure-test-only-key")
os.environ.setdefault("HTTPS", "false")
# The tests talk to the local sandbox (tests/fixtures_sandbox.py), never to an account.
os.environ["OKTOPOST_SANDBOX"] = "true"
for _name in ("OKTOPOST_ACCOUNT_ID", "OKTOPOST_API_KEY"):
    os.environ.pop(_name, None)

# Two Redis databases per process, counting down from 15: the cache and broker (and
# the Redis limiter tests, under key prefixes of their own), then a broker for the
# tests that start workers on Redis themselves (tests/test_tasks.py).
_redis = os.environ.get("REDIS_TEST_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
os.environ["REDIS_TEST_URL"] = _redis_db(_redis, 15 - 8 * LANE - 2 * INDEX)
os.environ["REDIS_BROKER_TEST_URL"] = _redis_db(_redis, 14 - 8 * LANE - 2 * INDEX)
if os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["REDIS_TEST_URL"]

from oktodash.settings import *  # noqa: E402, F403

# WhiteNoise looks each static path up when asked instead of listing every static file
# when its middleware starts: every test Client starts the middleware anew, and the
# listing (some 190 files, stat and headers each) cost ~15 ms a Client, ~10 % of the
# suite's short tests. Production keeps the listing, made once per process.
WHITENOISE_AUTOREFRESH = True
