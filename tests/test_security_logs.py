"""No bearer secret in a log (issue 23, finding 4): share tokens and the signatures of
upload addresses are cut out of gunicorn's access log and of Django's logs, and the
last test of the suite searches every log line the suite wrote for every token and
signature it minted (tests/log_guard.py)."""

import io
import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from attachments import links, services
from oktodash.logredact import RedactingFormatter
from sharing import views
from sharing.services import share_link_create
from tests.alerts_receivers import free_port
from tests.log_guard import UNREDACTED
from tests.security_helpers import fake_dns, loopback_only  # noqa: F401
from tests.test_attachments import PNG

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _django_handler() -> logging.StreamHandler:
    """The handler settings.LOGGING gives the root logger (not pytest's own, nor one an
    in-process Celery worker of an earlier test added)."""
    return next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, RedactingFormatter)
    )


def test_django_logs_name_share_and_upload_urls_without_their_secrets(editor, monkeypatch):
    link = share_link_create(page="stats", query="", label="Board", user=editor)
    local = services.file_store(user=editor, upload=SimpleUploadedFile("a.png", PNG))
    source = links.source_url(str(local.token), file_name=local.disk_name)
    signed = source.rstrip("/").split("/")[-2]
    handler = _django_handler()
    written = io.StringIO()
    old = handler.setStream(written)
    try:
        monkeypatch.setattr(views, "SHARE_RATE_PER_MINUTE", 0)
        anonymous = Client()
        assert anonymous.get(f"/s/{link.token}/").status_code == 429  # "Too Many Requests"
        assert anonymous.get(f"/s/{link.token}/part/nope/").status_code in (404, 429)
        tampered = source.replace(signed, signed[:-2] + "xx").split("8000", 1)[-1]
        assert anonymous.get(tampered).status_code == 403  # "Forbidden: /attachments/…"
        assert anonymous.get(f"/%73/{link.token}/export.csv").status_code == 429
    finally:
        handler.setStream(old)
    text = written.getvalue()
    assert "Too Many Requests" in text and "Forbidden" in text, text
    assert link.token not in text and signed[:-2] not in text
    assert "/s/[redacted]/" in text and "/attachments/source/[redacted]/" in text
    assert not UNREDACTED.search(text), text


def _url_of(database: dict) -> str:
    """The test database (committed rows: a transactional test) as a DATABASE_URL."""
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    user = quote(database.get("USER") or "")
    password = f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{database['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_gunicorn_as_the_procfile_runs_it_logs_no_token(editor, tmp_path) -> None:
    """gunicorn started by the Procfile's own `web` line, on loopback; its access log
    and error log are read back."""
    link = share_link_create(page="stats", query="", label="Board", user=editor)
    local = services.file_store(user=editor, upload=SimpleUploadedFile("a.png", PNG))
    source = links.source_url(str(local.token), file_name=local.disk_name)
    signed = source.rstrip("/").split("/")[-2]
    web = next(
        line.split(":", 1)[1].strip()
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    port = free_port()
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "WEB_BIND": f"127.0.0.1:{port}",
        "SECRET_KEY": "test-only",
        "HTTPS": "false",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": _url_of(database),
    }
    out, err = tmp_path / "web.out", tmp_path / "web.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        web_process = subprocess.Popen(  # noqa: S602 (the Procfile's own line, as honcho runs it)
            web, shell=True, cwd=ROOT, env=env, stdout=stdout, stderr=stderr
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/health/", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        path = source.split("8000", 1)[-1] if "8000" in source else "/" + source.split("/", 3)[3]
        for url in (
            f"/s/{link.token}/",
            f"/s/{link.token}/export.csv?breakdown=network",
            f"/s/{link.token}/part/top/",
            f"/%73/{link.token}/",
            path,
            "/s/" + "x" * 43 + "/",
        ):
            requests.get(base + url, timeout=10, headers={"Referer": base + url})
            requests.head(base + url, timeout=10)
    finally:
        os.kill(web_process.pid, signal.SIGTERM)
        web_process.wait(timeout=15)
    text = out.read_text() + err.read_text()
    assert "GET /s/[redacted]/export.csv?breakdown=network" in text, text[-3000:]
    assert "/attachments/source/[redacted]/" in text
    assert link.token not in text and signed not in text
    assert not UNREDACTED.search(text), text[-3000:]


def test_the_suites_logs_hold_no_token_or_signature(suite_log) -> None:
    """The recorder is in place, and this process's log so far holds no secret. The
    whole run's logs are searched when it ends (tests/log_guard.py)."""
    from sharing import tokens

    minted = tokens.token_new()
    assert minted in suite_log.tokens, "the recorder is not in place"
    # A logger of its own: an earlier test may have configured logging again, which
    # disables the loggers that existed then.
    logging.getLogger(f"log-guard-{minted[:8]}").warning("a line with no secret in it")
    suite_log.handler.flush()
    text = suite_log.path.read_text(encoding="utf-8")
    assert "a line with no secret in it" in text
    leaked = sorted(s for s in suite_log.tokens | suite_log.signed if s in text)
    assert leaked == []
    assert not UNREDACTED.search(text)
