"""A local stand-in for the Oktopost REST API v2 (see docs/oktopost.md).

A separate program: the product never imports it (import-linter checks that), only starts
it (`python -m oktopost.sandbox`, the Procfile's sandbox line). Its demo account and
vocabulary live in `oktopost.demo`, which the product may read.

This module stays import-light on purpose: `start_in_thread` loads the HTTP server and
the world generator only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oktopost.sandbox.server import SandboxHandle


def start_in_thread(**kwargs: Any) -> SandboxHandle:
    """Run the sandbox in this process on a daemon thread (for benchmarks and scripts).

    Keyword arguments are those of `oktopost.sandbox.server.start_in_thread`.
    """
    from oktopost.sandbox.server import start_in_thread as _start

    return _start(**kwargs)


__all__ = ["start_in_thread"]
