"""Every log line the suite writes, kept to be searched for bearer secrets (issue 23).

A pytest plugin (listed in conftest.py's `pytest_plugins`). For the whole session it
- writes every log record of the test process to one file, formatted by the handler
  settings.LOGGING gives the root logger (what production writes);
- records every share token and every signed upload address minted, wherever the
  code mints them (`sharing.tokens.token_new`, `attachments.links.source_url`);
- runs `tests/test_security_logs.py::test_the_suites_logs_hold_no_token_or_signature`
  last, which searches that file for each of them.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

LAST = "test_security_logs.py::test_the_suites_logs_hold_no_token_or_signature"


class Minted:
    """The secrets created during the session, and the file the logs went to."""

    path: Path = Path(tempfile.gettempdir()) / "oktodash-suite-logs.txt"
    tokens: set[str] = set()
    signed: set[str] = set()
    handler: logging.Handler | None = None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [item for item in items if item.nodeid.endswith(LAST)]
    items[:] = [item for item in items if item not in last] + last


def _django_formatter() -> logging.Formatter:
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler and handler.formatter is not None:
            return handler.formatter
    return logging.Formatter("%(levelname)s %(name)s: %(message)s")


@pytest.fixture(scope="session", autouse=True)
def suite_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[type[Minted]]:
    from attachments import links
    from sharing import tokens

    Minted.path = tmp_path_factory.mktemp("suite-logs") / "suite.log"
    Minted.handler = logging.FileHandler(Minted.path, encoding="utf-8")
    Minted.handler.setFormatter(_django_formatter())
    Minted.handler.setLevel(logging.DEBUG)
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


@pytest.fixture(autouse=True)
def suite_log_attached(suite_log: type[Minted]) -> None:
    """Attached again before each test: a test that reconfigures logging (a Celery
    worker, a settings reload) would otherwise drop the handler."""
    root = logging.getLogger()
    if suite_log.handler not in root.handlers:
        root.addHandler(suite_log.handler)
