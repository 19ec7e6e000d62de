"""Standard users and clients, shared by every test file (healthchecks' owner/teammate/outsider)."""

import contextlib
import os
import uuid
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import hypothesis
import pytest
import redis
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models.signals import post_migrate
from django.test import Client

from accounts.models import EDITOR, VIEWER, User
from oktopost.limiter import Limiter, Limits, RedisLimiter, SqliteLimiter
from tests.limiters import FakeClock, MakeLimiter

pytest_plugins = [
    "tests.fixtures_sandbox",
    "tests.fixtures_mirror",
    "tests.fixtures_browser",
    "tests.fixtures_webhooks",
    "tests.log_guard",
    "tests.reaper",
]

# Property tests try 50 examples each in the suite; HYPOTHESIS_PROFILE=thorough tries
# 500 (run it after changing the queue's parser). Every run draws new examples.
hypothesis.settings.register_profile("suite", max_examples=50)
hypothesis.settings.register_profile("thorough", max_examples=500)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

# Django writes every model's permissions again after each flush (the end of every test
# on a live server or in transactions: ~20 ms of a flush's ~30, some 700 times a run).
# oktodash never reads them (roles are groups, core/roles.py; the admin is for
# superusers), so the test database has none.
post_migrate.disconnect(dispatch_uid="django.contrib.auth.management.create_permissions")

PASSWORD = "correct-horse-battery-staple"

# The Redis database tests write to, under per-test key prefixes. Point REDIS_TEST_URL
# elsewhere to use another server (or a closed port, to see the tests skip).
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


# The date matrix (`make test-dates`, run by CI): with OKTODASH_TEST_DATES set to
# instants, every test collected runs once at each of them, the clock of this process
# (time-machine) and of the sandbox moved there, and running on from there.
TEST_DATES = [d for d in os.environ.get("OKTODASH_TEST_DATES", "").split(",") if d]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    pinned_here = any(
        "pinned_now" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")
    )
    if TEST_DATES and "pinned_now" in metafunc.fixturenames and not pinned_here:
        metafunc.parametrize("pinned_now", TEST_DATES, indirect=True)


# Test files that never reach the configured database, cache or broker: the Oktopost
# client and sandbox over HTTP, the limiter's own stores, the embedded broker, and
# `make run` and its worker on the embedded defaults. They run on the default
# configuration; CI's PostgreSQL and Redis pass leaves them out (`-m "not engine_free"`).
ENGINE_FREE = {
    "test_broker.py",
    "test_client.py",
    "test_client_errors.py",
    "test_client_limits.py",
    "test_client_media.py",
    "test_client_sdk.py",
    "test_client_types.py",
    "test_contract.py",
    "test_limiter.py",
    "test_make_run_stop.py",
    "test_sandbox.py",
    "test_sandbox_media.py",
    "test_sandbox_process.py",
    "test_sandbox_sdk.py",
    "test_sandbox_workflows.py",
    "test_worker_pool.py",
}


_MACHINE = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """How fast this machine's cores are (bench.machine), measured before pytest-xdist
    starts its processes (they would slow it): suite times from different machines
    compare only beside it. Shown in the run's header (not with -q)."""
    # Not in a pytest-xdist process, nor with -q, whose header is not shown.
    if not hasattr(config, "workerinput") and config.get_verbosity() >= 0:
        from bench.machine import describe

        config.stash[_MACHINE] = describe()


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash.get(_MACHINE, None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest tests first, dealt to the processes in turn.

    pytest-xdist's worksteal gives each process one contiguous slice of this list, and an
    idle process takes the back half of the longest queue left. Sorted alone, every long
    test would sit in the first process's slice while the others ran out of work: dealt in
    turn, each slice starts with its share of the long tests, and what is taken from its
    back are short ones."""
    for item in items:
        if item.path.name in ENGINE_FREE:
            item.add_marker(pytest.mark.engine_free)
    weight = {"slow": 0, "visual": 1, "browser": 2}
    items.sort(
        key=lambda item: min(
            (weight[m.name] for m in item.iter_markers() if m.name in weight), default=3
        )
    )
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers > 1:
        items[:] = [item for lane in range(workers) for item in items[lane::workers]]


@pytest.fixture(autouse=True)
def pinned_now(request: pytest.FixtureRequest) -> Iterator[datetime | None]:
    """The instant this test runs at under the date matrix; None in the usual run."""
    when = getattr(request, "param", None)
    if when is None:
        yield None
        return
    instant = datetime.fromisoformat(when)
    with time_machine.travel(instant, tick=True):
        yield instant


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Hashing with the production hasher costs most of a second per user in tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Each test starts with an empty cache: rate windows and cached choices of one test
    (whose users reuse the same ids) must not leak into the next."""
    with contextlib.suppress(Exception):  # a test may point the cache at a dead server
        cache.clear()


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def editor(db) -> User:
    return make_user("alice", EDITOR)


@pytest.fixture
def viewer(db) -> User:
    return make_user("victor", VIEWER)


@pytest.fixture
def outsider(db) -> User:
    """Logged in, but holding no role."""
    return make_user("olga", None)


@pytest.fixture
def editor_client(editor: User) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture
def oktopost(sandbox, settings, tmp_path):
    """Point Django at the per-test sandbox, with a fresh shared rate budget of its own."""
    settings.OKTOPOST_BASE_URL = sandbox.base_url
    settings.OKTOPOST_ACCOUNT_ID = sandbox.account_id
    settings.OKTOPOST_API_KEY = sandbox.api_key
    settings.OKTOPOST_LIMITER_URL = str(tmp_path / "ratelimit.sqlite3")
    settings.OKTOPOST_BLOCK_SECONDS = 3
    # Tests of sync and stats make many background calls within one real minute; the
    # editors' minute and the day's pacing have tests of their own (test_limiter,
    # test_budget_plan), so here background work may use all but 5 calls a minute.
    settings.OKTOPOST_EDITOR_CALLS_PER_MINUTE = 5
    settings.OKTOPOST_TIMEOUT = (2.0, 3.0)
    return sandbox


def redis_or_skip(url: str, *, setting: str) -> str:
    """`url`, once a Redis server answers there; otherwise skip the test, or fail it
    when CI=true: CI always runs Redis, so a skip there would hide a broken setup."""
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as server:
            server.ping()
    except redis.RedisError as exc:
        port = urlsplit(url).port or 6379
        message = (
            f"Redis is not reachable at {url} ({exc}): start it with "
            f"`redis-server --port {port} --save '' --daemonize yes`, or point {setting} at one"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture
def redis_url() -> str:
    """The test Redis database, for tests that connect to Redis themselves."""
    return redis_or_skip(REDIS_TEST_URL, setting="REDIS_TEST_URL")


@pytest.fixture
def redis_if_configured(settings) -> None:
    """With REDIS_URL set (as on CI's second pass) the cache and the broker are Redis:
    skip, or fail on CI, when nothing answers there."""
    if settings.REDIS_URL:
        redis_or_skip(settings.REDIS_URL, setting="REDIS_URL")


@pytest.fixture(params=["redis", "sqlite"])
def make_limiter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeLimiter]:
    created: list[Limiter] = []
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    def make(limits: Limits, clock: FakeClock | None = None) -> Limiter:
        kwargs = {} if clock is None else {"clock": clock, "sleep": clock.sleep}
        limiter: Limiter
        if request.param == "redis":
            prefix = f"test-limiter:{uuid.uuid4().hex}"
            limiter = RedisLimiter(redis_url, prefix, limits, **kwargs)
        else:
            limiter = SqliteLimiter(tmp_path / f"{uuid.uuid4().hex}.db", limits, **kwargs)
        created.append(limiter)
        return limiter

    yield make
    for limiter in created:
        limiter.reset()


_CURRENT_TEST = {"name": ""}


def _name_connection(sender, connection, **kwargs) -> None:
    """On PostgreSQL every connection carries the test that opened it (application_name),
    so a session left open at the end is named by its test."""
    if connection.vendor == "postgresql" and _CURRENT_TEST["name"]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('application_name', %s, false)", [_CURRENT_TEST["name"][-63:]]
            )


@pytest.fixture(autouse=True)
def _current_test_name(request: pytest.FixtureRequest) -> Iterator[None]:
    _CURRENT_TEST["name"] = request.node.nodeid
    yield
    _CURRENT_TEST["name"] = ""


@pytest.fixture(scope="session", autouse=True)
def _report_other_database_sessions(django_db_setup, django_db_blocker) -> Iterator[None]:
    """On PostgreSQL, name any other session still on this process's test database when
    the run ends: one keeps PostgreSQL from dropping it ("being accessed by other users")."""
    from django.db.backends.signals import connection_created

    connection_created.connect(_name_connection)
    yield
    connection_created.disconnect(_name_connection)
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, client_port, backend_start, state, left(query, 200) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        rows = cursor.fetchall()
    for pid, test, port, started, state, query in rows:
        warnings.warn(
            f"a database session (pid {pid}, client port {port}, since {started:%H:%M:%S}, "
            f"{state}, last {query!r}) opened by {test or 'no test of this process'} was "
            "still open at the end of the run: close the connections tests open",
            stacklevel=1,
        )
