"""Every log line the suite writes, searched for bearer secrets (issue 23).

A pytest plugin (listed in conftest.py's `pytest_plugins`). In every test process
(each pytest-xdist worker, or the one process of a plain run) it
- writes every log record to a file of that process, formatted by the handler
  settings.LOGGING gives the root logger (what production writes);
- records every share token and every signed upload address minted, wherever the
  code mints them (`sharing.tokens.token_new`, `attachments.links.source_url`), and
  writes them beside the log when the process ends.

When the whole run ends, the process that ran it (the xdist controller, or the one
process) searches every process's log for every secret of every process, and for
share and upload paths left unredacted; one found fails the run, naming it.
`tests/test_security_logs.py::test_the_suites_logs_hold_no_token_or_signature`
checks the recorder and this process's log so far.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

UNREDACTED = re.compile(r"/+(s|attachments/+source)/+(?!\[redacted\])[A-Za-z0-9_:-]{6,}")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _run_folder() -> Path:
    # xdist workers are children of the controller: the folder is named by its pid.
    controller = os.getppid() if WORKER else os.getpid()
    return Path(tempfile.gettempdir()) / f"oktodash-suite-logs-{controller}"


class Minted:
    """The secrets created in this process, and the file its logs went to."""

    folder: Path = _run_folder()
    path: Path = folder / f"{WORKER or 'main'}.log"
    tokens: set[str] = set()
    signed: set[str] = set()
    handler: logging.Handler | None = None
    root_level: int = logging.WARNING


def _django_formatter() -> logging.Formatter:
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler and handler.formatter is not None:
            return handler.formatter
    return logging.Formatter("%(levelname)s %(name)s: %(message)s")


def pytest_configure(config: pytest.Config) -> None:
    if not WORKER:
        shutil.rmtree(Minted.folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def suite_log() -> Iterator[type[Minted]]:
    from attachments import links
    from sharing import tokens

    Minted.folder.mkdir(parents=True, exist_ok=True)
    Minted.handler = logging.FileHandler(Minted.path, encoding="utf-8")
    Minted.handler.setFormatter(_django_formatter())
    Minted.handler.setLevel(logging.DEBUG)
    Minted.root_level = logging.getLogger().level
    token_new, source_url = tokens.token_new, links.source_url

    def recorded_token() -> str:
        token = token_new()
        Minted.tokens.add(token)
        return token

    def recorded_source(token: str, *, file_name: str) -> str:
        url = source_url(token, file_name=file_name)
        Minted.signed.add(url.rstrip("/").split("/")[-2])
        return url

    tokens.token_new, links.source_url = recorded_token, recorded_source
    yield Minted
    tokens.token_new, links.source_url = token_new, source_url
    logging.getLogger().removeHandler(Minted.handler)
    Minted.handler.close()
    secrets = {"tokens": sorted(Minted.tokens), "signed": sorted(Minted.signed)}
    Minted.path.with_suffix(".secrets.json").write_text(json.dumps(secrets))


@pytest.fixture(autouse=True)
def suite_log_attached(suite_log: type[Minted]) -> None:
    """Attached again before each test, at the level settings give the root logger: a
    test that reconfigures logging (an in-process Celery worker sets the root to ERROR,
    a settings reload drops handlers) would otherwise hide later tests' lines."""
    root = logging.getLogger()
    if suite_log.handler not in root.handlers:
        root.addHandler(suite_log.handler)
    root.setLevel(suite_log.root_level)


def leaks(folder: Path) -> list[str]:
    """Every secret minted in any process of the run that a log of the run holds."""
    secrets: set[str] = set()
    for found in folder.glob("*.secrets.json"):
        data = json.loads(found.read_text())
        secrets |= set(data["tokens"]) | set(data["signed"])
    problems = []
    for log in folder.glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        problems += [f"{log.name}: a secret: {s[:6]}…" for s in sorted(secrets) if s in text]
        problems += [
            f"{log.name}: unredacted: {m.group(0)[:24]}…" for m in UNREDACTED.finditer(text)
        ]
    return problems


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if WORKER or not Minted.folder.is_dir():
        return
    problems = leaks(Minted.folder)
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "bearer secrets in the suite's logs:\n" + "\n".join(problems[:20])
        if reporter is not None:
            reporter.write_sep("=", "log guard", red=True)
            reporter.write_line(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
