"""Settings come from the environment only, and bad values stop start-up naming the variable."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from oktopost.demo import DEMO_API_KEY

ROOT = Path(__file__).resolve().parent.parent
# Sandbox mode, as `make run` sets it without credentials.
BASE_ENV = {
    "PATH": os.environ["PATH"],
    "HOME": os.environ.get("HOME", "/tmp"),
    "OKTOPOST_SANDBOX": "true",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # A VAR_DIR of its own: the checkout's var/ holds the secret key `make run` keeps,
    # which settings read when SECRET_KEY is unset (before, after one `make run` the
    # "no SECRET_KEY" case started up fine and the test failed).
    with tempfile.TemporaryDirectory() as var_dir:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**BASE_ENV, "VAR_DIR": var_dir, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "yes", "SECRET_KEY": "x"}, "DEBUG"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x", "HTTPS": "maybe"}, "HTTPS"),
        ({"SECRET_KEY": "x", "DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"SECRET_KEY": "x", "REDIS_URL": "http://redis"}, "REDIS_URL"),
        ({"SECRET_KEY": "x", "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
        ({"SECRET_KEY": "x", "OKTOPOST_REGION": "asia"}, "OKTOPOST_REGION"),
        ({"SECRET_KEY": "x", "OKTOPOST_ACCOUNT_ID": "001000000000009"}, "OKTOPOST_API_KEY"),
        ({"SECRET_KEY": "x", "CSRF_TRUSTED_ORIGINS": "example.com"}, "CSRF_TRUSTED_ORIGINS"),
        ({"SECRET_KEY": "x", "AXES_FAILURE_LIMIT": "five"}, "AXES_FAILURE_LIMIT"),
        (
            {"SECRET_KEY": "x", "OKTOPOST_EDITOR_CALLS_PER_MINUTE": "54"},
            "OKTOPOST_EDITOR_CALLS_PER_MINUTE",
        ),
        ({"SECRET_KEY": "x", "OKTOPOST_BACKGROUND_BURST": "-1"}, "OKTOPOST_BACKGROUND_BURST"),
        ({"SECRET_KEY": "x", "OKTOPOST_SANDBOX": "sometimes"}, "OKTOPOST_SANDBOX"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(env: dict, named: str) -> None:
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_without_credentials_outside_sandbox_mode_start_up_stops_saying_what_to_set() -> None:
    """Before: settings fell back to the sandbox, and a deployment that lost its
    credentials showed demo data."""
    result = run_manage("check", SECRET_KEY="x", OKTOPOST_SANDBOX="")
    assert result.returncode != 0
    last = result.stderr.splitlines()[-1]
    assert "ImproperlyConfigured: No Oktopost credentials" in last
    assert "OKTOPOST_ACCOUNT_ID" in last and "OKTOPOST_SANDBOX=true" in last


def test_credentials_in_sandbox_mode_stop_start_up() -> None:
    result = run_manage(
        "check", SECRET_KEY="x", OKTOPOST_ACCOUNT_ID="001000000000009", OKTOPOST_API_KEY="k"
    )
    assert result.returncode != 0
    assert "OKTOPOST_SANDBOX is on and Oktopost credentials are set" in result.stderr


def test_credentials_alone_start_up_on_the_account() -> None:
    code = "import django; django.setup(); from django.conf import settings as s; " + (
        "print(s.OKTOPOST_SANDBOX, s.OKTOPOST_ACCOUNT_ID)"
    )
    env = {**BASE_ENV, "DJANGO_SETTINGS_MODULE": "oktodash.settings", "SECRET_KEY": "x"}
    del env["OKTOPOST_SANDBOX"]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "OKTOPOST_ACCOUNT_ID": "001000000000009", "OKTOPOST_API_KEY": "k"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["False", "001000000000009"], result.stderr


def test_settings_create_no_folder_when_read(tmp_path) -> None:
    var_dir = tmp_path / "var"
    code = "import oktodash.settings"
    env = {**BASE_ENV, "SECRET_KEY": "x", "VAR_DIR": str(var_dir)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert not var_dir.exists()


def test_check_deploy_is_clean_with_production_like_values() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="q8W3n5v1zR7yL0pT6cX2bM9kJ4hG1fD8sA5eU3iO7wQ0rY6tZ2nV9mC4xB7lK1",
        ALLOWED_HOSTS="oktodash.example.com",
        CSRF_TRUSTED_ORIGINS="https://oktodash.example.com",
        HTTPS="true",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_without_secret_key_starts_with_a_development_key() -> None:
    result = run_manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr


def printed_settings(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`print(<expression>)` with `s` the settings, read afresh in a process with `env`."""
    code = (
        f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**BASE_ENV, "DJANGO_SETTINGS_MODULE": "oktodash.settings", "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_redis_url_makes_redis_the_broker_and_the_cache() -> None:
    result = printed_settings(
        "s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND']", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert result.stdout.split() == [
        "redis://127.0.0.1:6379/3",
        "django.core.cache.backends.redis.RedisCache",
    ], result.stderr


SANDBOX_LINE = "No OKTOPOST_ACCOUNT_ID/OKTOPOST_API_KEY: using the local Oktopost sandbox at"


def test_a_worker_without_credentials_says_once_that_it_uses_the_sandbox(tmp_path) -> None:
    """Before: settings fell back to the sandbox without a word."""
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "oktodash", "worker", "--pool", "solo"],
        cwd=ROOT,
        env={
            **BASE_ENV,
            "SECRET_KEY": "worker-test",
            "HTTPS": "false",
            "VAR_DIR": str(tmp_path / "var"),
            "SANDBOX_PORT": "18765",
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and SANDBOX_LINE not in log.read_text():
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(15)
    text = log.read_text()
    assert text.count(f"{SANDBOX_LINE} http://127.0.0.1:18765/v2") == 1, text
    assert DEMO_API_KEY not in text


def test_the_sandbox_line_names_no_password_and_is_not_said_with_credentials(
    settings, caplog
) -> None:
    from oktodash.celery import _say_when_oktopost_is_the_sandbox

    settings.OKTOPOST_BASE_URL = "http://user:s3cret@127.0.0.1:8765/v2"
    settings.OKTOPOST_SANDBOX = False
    _say_when_oktopost_is_the_sandbox(None)
    assert caplog.messages == []

    settings.OKTOPOST_SANDBOX = True
    _say_when_oktopost_is_the_sandbox(None)
    assert caplog.messages == [f"{SANDBOX_LINE} http://127.0.0.1:8765/v2"]


@pytest.mark.parametrize(
    ("url", "pgoptions", "options"),
    [
        ("postgres://u@127.0.0.1:5432/x", "", "-c jit=off"),
        (
            "postgres://u@127.0.0.1:5432/x?options=-c%20statement_timeout%3D5000",
            "-c lock_timeout=1000",
            "-c statement_timeout=5000 -c jit=off",
        ),
        (
            "postgres://u@127.0.0.1:5432/x?options=-c%20a.b%3D1&options=-c%20a.c%3D2",
            "",
            "-c a.b=1 -c a.c=2 -c jit=off",
        ),
        (
            "postgres://u@127.0.0.1:5432/x",
            "-c lock_timeout=1000",
            "-c lock_timeout=1000 -c jit=off",
        ),
    ],
)
def test_postgresql_connections_compile_no_statement_with_jit(
    url: str, pgoptions: str, options: str
) -> None:
    """Every read is interactive: JIT compiling took 30-70 ms of reads that run in
    30-400 (issue 31). Options given in DATABASE_URL (once or more) are kept, or else
    PGOPTIONS's, which libpq would no longer read."""
    result = printed_settings(
        "s.DATABASES['default']['OPTIONS']['options']", DATABASE_URL=url, PGOPTIONS=pgoptions
    )
    assert result.stdout.strip() == options, result.stderr
