"""oktodash settings: read from the environment only, parsed strictly.

A malformed value stops start-up with ImproperlyConfigured naming the variable,
so a typo in production never silently turns into a default.
"""

import zoneinfo
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from oktodash import __version__
from oktodash.conf import beat, web
from oktodash.conf.cache import redis_cache
from oktodash.conf.env import env_bool, env_choice, env_int, env_list, env_str, env_url
from oktodash.conf.mail import mailer

BASE_DIR = Path(__file__).resolve().parent.parent

VERSION = __version__
DEBUG = env_bool("DEBUG", False)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlsplit(_origin).scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS entries need a scheme: {_origin!r}")

TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE is not a known time zone: {TIME_ZONE!r}") from None
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = False

# Local state (SQLite file, filesystem broker, file cache, limiter) lives here.
# Nothing is created here: each part makes its own folder when it first writes (the
# SQLite file's in CoreConfig.ready, since SQLite opens a file but never its folder).
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var"))).resolve()


def _local_file(name: str) -> str:
    """A value `make run` keeps under VAR_DIR for commands run beside it later."""
    try:
        return (VAR_DIR / name).read_text().strip()
    except OSError:
        return ""


# Unset, the key `make run` generated in VAR_DIR/secret_key is used, so the README's
# commands (`manage.py sync_oktopost`, ...) work as written next to it. A production
# install (docker-compose, .env) sets SECRET_KEY and has no such file.
SECRET_KEY = env_str("SECRET_KEY") or _local_file("secret_key")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            f"SECRET_KEY is required when DEBUG is off: set it, or run `make run` once, "
            f"which keeps one in {VAR_DIR / 'secret_key'}"
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "core",
    "accounts",
    "posts",
    "reports",
    "sharing",
    "alerts",
    "planner",
    "attachments",
    "inbox",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.user_time_zone",
    "accounts.middleware.private_pages",
    # Axes goes last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oktodash.urls"
WSGI_APPLICATION = "oktodash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oktodash.context_processors.shell",
                "alerts.context_processors.bell",
                "approvals.context_processors.waiting",
            ],
            "builtins": ["core.template_dates", "posts.templatetags.oktopost_users"],
        },
    },
]

# --- Database --------------------------------------------------------------
_default_db = f"sqlite:///{VAR_DIR / 'oktodash.sqlite3'}"
DATABASE_URL = env_url(
    "DATABASE_URL", ("sqlite", "postgres", "postgresql", "pgsql", "postgis"), _default_db
)
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Kept connections, as on PostgreSQL: closing the last one checkpoints and deletes
    # the WAL, and the next request reopens the file and parses the schema again, 2.5-5
    # ms of CPU a request (issue 31). They were off for a while: a CI run had a
    # double-clicked create wait past its test's 15 s; the same test failed the same way
    # later with a connection per request, and the form now sends one request, not two.
    # Web, worker and beat share one SQLite file: WAL lets readers run beside a
    # writer, IMMEDIATE transactions avoid "database is locked" on lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real worker process in the tests can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-oktodash.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: every read here is interactive (a page, a section, a worker's
    # hour), and compiling one that the planner guesses costly took 30-70 ms of reads
    # that run in 30-400 (issue 31: a words scope's day rows at 1M posts, 257 -> 229 ms).
    # Added to the options DATABASE_URL gives (once or more), or else to PGOPTIONS, which
    # libpq reads only when no options are passed.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _given = _options.get("options") or env_str("PGOPTIONS", "")
    if isinstance(_given, list | tuple):
        _given = " ".join(_given)
    _options["options"] = f"{_given} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# /health/ says "degraded" when the media folder (VAR_DIR/media) has less room than this.
MEDIA_MIN_FREE_MB = env_int("MEDIA_MIN_FREE_MB", 100, minimum=0)

# --- Redis, cache and Celery ---------------------------------------------------
# Every task has a hard time limit, this one unless it sets its own; the longest of
# them (sync_posts) sets how long Redis waits before handing a dead worker's task out
# again. The embedded broker does so within a second (oktodash/broker.py).
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 270
LONGEST_TASK_SECONDS = 660
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
    CELERY_BROKER_URL = REDIS_URL
    # An unacknowledged task (its worker died) is delivered again after this. It must
    # outlast the longest task (a task still running would run twice) and any countdown
    # (delivered twice too); tests/test_tasks.py checks every task against it.
    _visibility = env_int("CELERY_VISIBILITY_TIMEOUT", LONGEST_TASK_SECONDS + 60, minimum=1)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": _visibility,
        # Look for abandoned tasks about as often as they can become visible again.
        "unacked_restore_interval": max(1, min(10, _visibility // 2)),
        "unacked_restore_throttle": 1 if _visibility < 60 else 10,
        # Queuing a task from a page gives up after about a second when Redis is down,
        # instead of holding the editor's request for kombu's default retries.
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 0.5,
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    # The embedded broker (oktodash/broker.py): Kombu's filesystem transport, with
    # messages that appear only whole and that come back when their worker dies.
    CELERY_BROKER_URL = "oktodash-filesystem://"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "claims_folder": str(_broker_dir / "claimed"),
        "damaged_folder": str(_broker_dir / "damaged"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's prefork pool, except that a pool process killed while waiting for a task no
# longer leaves the others blocked on the lock of the task pipe (oktodash/pool.py).
# `--pool prefork` on the command line means this one too.
CELERY_WORKER_POOL = "oktodash.pool:TaskPool"
# A killed pool process's task slot is given up after this (Celery's default is 10 s):
# the next tasks start this long after a kill.
CELERY_WORKER_LOST_WAIT = 3.0
# Stopping must fit in the 5 s the supervisor gives before SIGKILL (`make run`; the Procfile
# maps SIGTERM to Celery's cold shutdown): a running task gets 1 s to finish, then its
# pool process is stopped and the message goes back to the queue (acks_late), and the
# worker's timer wakes every 0.1 s instead of 1 s so the shutdown does not wait on it.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 1.0
CELERY_WORKER_TIMER_PRECISION = 0.1
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# What runs when: oktodash/conf/beat.py (one beat runs it).
CELERY_BEAT_SCHEDULE = beat.SCHEDULE

# --- Oktopost --------------------------------------------------------------
OKTOPOST_ACCOUNT_ID = env_str("OKTOPOST_ACCOUNT_ID")
OKTOPOST_API_KEY = env_str("OKTOPOST_API_KEY")
OKTOPOST_REGION = env_choice("OKTOPOST_REGION", ("us", "eu"), "us")
OKTOPOST_BASE_URL = env_url("OKTOPOST_BASE_URL", ("http", "https"))
if bool(OKTOPOST_ACCOUNT_ID) != bool(OKTOPOST_API_KEY):
    raise ImproperlyConfigured("OKTOPOST_ACCOUNT_ID and OKTOPOST_API_KEY must be set together")
# Sandbox mode: the local stand-in API with its demo account, never a real one. It is
# chosen, not inferred: `make run` and the tests set it when there are no credentials,
# and a deployment that lost its credentials stops here instead of showing demo data.
OKTOPOST_SANDBOX = env_bool("OKTOPOST_SANDBOX", False)
if OKTOPOST_SANDBOX and OKTOPOST_ACCOUNT_ID:
    raise ImproperlyConfigured(
        "OKTOPOST_SANDBOX is on and Oktopost credentials are set too: unset "
        "OKTOPOST_ACCOUNT_ID and OKTOPOST_API_KEY to use the local sandbox, or unset "
        "OKTOPOST_SANDBOX to use the account"
    )
if not OKTOPOST_SANDBOX and not OKTOPOST_ACCOUNT_ID:
    raise ImproperlyConfigured(
        "No Oktopost credentials: set OKTOPOST_ACCOUNT_ID and OKTOPOST_API_KEY, or set "
        "OKTOPOST_SANDBOX=true to use the local sandbox with demo data (`make run` does)"
    )
if OKTOPOST_SANDBOX:
    # Not `oktopost.sandbox`: the product never imports the sandbox, it only starts it.
    from oktopost import demo

    OKTOPOST_ACCOUNT_ID = demo.DEMO_ACCOUNT_ID
    OKTOPOST_API_KEY = demo.DEMO_API_KEY
    # The Procfile's sandbox line listens on SANDBOX_PORT too, so the two follow each other.
    SANDBOX_PORT = env_int("SANDBOX_PORT", demo.SANDBOX_PORT, minimum=1)
    OKTOPOST_BASE_URL = OKTOPOST_BASE_URL or env_url(
        "OKTOPOST_SANDBOX_URL", ("http",), f"http://127.0.0.1:{SANDBOX_PORT}/v2"
    )

# One rate budget for every process: Redis when configured, else a SQLite file.
OKTOPOST_LIMITER_URL = (
    env_str("OKTOPOST_LIMITER_URL") or REDIS_URL or str(VAR_DIR / "ratelimit.sqlite3")
)
# The calendar flags two posts to one profile closer than this (minutes) as a clash.
CALENDAR_CLASH_MINUTES = env_int("CALENDAR_CLASH_MINUTES", 60, minimum=1)

OKTOPOST_LIMIT_PER_MINUTE = env_int("OKTOPOST_LIMIT_PER_MINUTE", 54, minimum=1)
OKTOPOST_LIMIT_PER_5S = env_int("OKTOPOST_LIMIT_PER_5S", 100, minimum=1)
OKTOPOST_LIMIT_PER_DAY = env_int("OKTOPOST_LIMIT_PER_DAY", 19_000, minimum=1)
# Calls of every minute background work leaves free for editors (a burst of inline edits:
# 15 reschedules in 10 s are 30 calls), and the size of the pacing bucket that spreads
# background work over the whole UTC day (oktopost/limiter.py, docs/ARCHITECTURE.md).
# The default keeps the same part of a lowered share (30 of 54).
OKTOPOST_EDITOR_CALLS_PER_MINUTE = env_int(
    "OKTOPOST_EDITOR_CALLS_PER_MINUTE", OKTOPOST_LIMIT_PER_MINUTE * 5 // 9, minimum=0
)
OKTOPOST_BACKGROUND_BURST = env_int("OKTOPOST_BACKGROUND_BURST", 120, minimum=0)
if OKTOPOST_EDITOR_CALLS_PER_MINUTE >= OKTOPOST_LIMIT_PER_MINUTE:
    raise ImproperlyConfigured(
        "OKTOPOST_EDITOR_CALLS_PER_MINUTE must be below OKTOPOST_LIMIT_PER_MINUTE "
        "(background work needs at least one call a minute)"
    )
# Seconds every caller pauses after a 429 (Oktopost documents a 15-minute block).
OKTOPOST_BLOCK_SECONDS = env_int("OKTOPOST_BLOCK_SECONDS", 900, minimum=1)
OKTOPOST_TIMEOUT = (3.05, float(env_int("OKTOPOST_READ_TIMEOUT", 15, minimum=1)))
# A write whose answer was lost may still act this long after: until then the sync does
# not call it "not done" (posts/sync/settle.py; the figure is argued in RELIABILITY.md).
OKTOPOST_WRITE_MAY_ACT_MINUTES = env_int("OKTOPOST_WRITE_MAY_ACT_MINUTES", 15, minimum=1)
# A sync run that has not reported progress for this long is presumed dead.
SYNC_LOCK_STALE_SECONDS = env_int("SYNC_LOCK_STALE_SECONDS", 180, minimum=1)
# /health/ says "degraded" once syncs have failed for this long.
SYNC_FAILING_AFTER_MINUTES = env_int("SYNC_FAILING_AFTER_MINUTES", 15, minimum=1)

# --- Alerts and mail (alerts/) ---------------------------------------------------
# EMAIL_URL: smtp://user:password@host:587 (STARTTLS), smtps://…:465 (TLS),
# smtp+plain://host:25 (no TLS, local relays), file:///path, console://, or empty: files
# under var/mail/ (one .log file per message), which `make run` names.
EMAIL_URL = env_url(
    "EMAIL_URL", ("smtp", "smtps", "smtp+plain", "smtp+tls", "file", "console", "locmem")
)


EMAIL_TIMEOUT_SECONDS = env_int("EMAIL_TIMEOUT", 10, minimum=1)


MAILERS = {"default": mailer(EMAIL_URL, VAR_DIR, EMAIL_TIMEOUT_SECONDS)}
# Without EMAIL_URL mail goes to files on purpose (the embedded default: `make run` says
# where, and every alert is in the bell too), so `check --deploy` does not call it an error.
SILENCED_SYSTEM_CHECKS = [] if EMAIL_URL else ["mail.E001"]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "oktodash <oktodash@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in mail and webhook messages start with this (where pages are served). Unset:
# where `make run` last served (VAR_DIR/site_url, from WEB_BIND), else the first
# CSRF_TRUSTED_ORIGINS entry, else the default address.
SITE_URL = env_url(
    "SITE_URL",
    ("http", "https"),
    _local_file("site_url")
    or (CSRF_TRUSTED_ORIGINS[0] if CSRF_TRUSTED_ORIGINS else "http://127.0.0.1:8000"),
).rstrip("/")
# Attached files (attachments/): the largest file accepted from a computer, and whether
# pasted image URLs and thumbnails may come from private or loopback addresses (only
# for a closed installation or tests; see attachments/fetch.py).
ATTACHMENTS_MAX_MB = env_int("ATTACHMENTS_MAX_MB", 200, minimum=1)
ATTACHMENTS_FETCH_PRIVATE = False
# A post still waiting this long after its time is "stuck": in the queue, the calendar
# and alerts alike (core.terms.STUCK_AFTER). ALERTS_STUCK_AFTER_MINUTES is its old name.
STUCK_AFTER_MINUTES = env_int(
    "STUCK_AFTER_MINUTES", env_int("ALERTS_STUCK_AFTER_MINUTES", 15, minimum=1), minimum=1
)
# Posts scheduled longer ago than this are history, not news: never alerted on.
ALERTS_LOOKBACK_DAYS = env_int("ALERTS_LOOKBACK_DAYS", 7, minimum=1)
# A post still waiting for approval this many hours before its time is "approval
# overdue": its step's approvers and its creator are told, once (alerts/services/detect.py).
APPROVAL_OVERDUE_HOURS = env_int("APPROVAL_OVERDUE_HOURS", 24, minimum=1)
# Mail domains of this organisation: an alert address there needs only its owner's
# confirmation; any other address needs an admin's approval as well (alerts/selectors.py).
ALERTS_MAIL_DOMAINS = [d.lower().lstrip("@") for d in env_list("ALERTS_MAIL_DOMAINS")]
# Webhooks reach public addresses only; these hosts ("name" or "name:port") may be
# internal (a self-hosted chat server). See alerts/webhooks.py.
WEBHOOK_ALLOW_HOSTS = env_list("WEBHOOK_ALLOW_HOSTS")
# Webhooks in (inbox/): while events arrive the incremental sync runs only this often;
# after this long without one, polling is back to normal and /health/ says "silent";
# deliveries older than this, or larger, are refused. See docs/ARCHITECTURE.md.
WEBHOOKS_SAFETY_NET_SECONDS = env_int("WEBHOOKS_SAFETY_NET_SECONDS", 900, minimum=60)
WEBHOOKS_SILENT_AFTER_MINUTES = env_int("WEBHOOKS_SILENT_AFTER_MINUTES", 60, minimum=1)
WEBHOOKS_MAX_AGE_SECONDS = env_int("WEBHOOKS_MAX_AGE_SECONDS", 3600, minimum=60)
WEBHOOKS_MAX_BODY_KB = env_int("WEBHOOKS_MAX_BODY_KB", 256, minimum=1)
WEBHOOKS_PER_MINUTE = env_int("WEBHOOKS_PER_MINUTE", 12_000, minimum=1)

# --- Auth, sessions, throttling ------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"

# --- Security --------------------------------------------------------------------
# HTTPS defaults to on in production; local runs over plain HTTP set HTTPS=false.
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
# How many proxies of ours append to X-Forwarded-For (compose's single proxy: 1).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=1)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SECURE_CSP = web.SECURE_CSP

# --- Static files ------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Kept in git (empty) so that whitenoise finds it before any collectstatic.
STATIC_ROOT = BASE_DIR / "staticfiles"
# Without collectstatic (make run, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Logging ------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info").upper()
LOGGING = web.logging_config(LOG_LEVEL)
