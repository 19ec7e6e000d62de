"""A local stand-in for the Oktopost REST API v2 (see docs/oktopost.md).

This module stays import-light on purpose: Django settings import the demo
credentials below, and must not pull in the HTTP server or the world generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oktopost.sandbox.server import SandboxHandle

# Fixed demo pair so `make run` works without configuration; 15-char 001 id like
# every Oktopost account id (docs/oktopost.md "IDs").
DEMO_ACCOUNT_ID = "001000000000001"
DEMO_API_KEY = "sandbox-demo-key"


def start_in_thread(**kwargs: Any) -> SandboxHandle:
    """Run the sandbox in this process on a daemon thread (for benchmarks and scripts).

    Keyword arguments are those of `oktopost.sandbox.server.start_in_thread`.
    """
    from oktopost.sandbox.server import start_in_thread as _start

    return _start(**kwargs)


__all__ = ["DEMO_ACCOUNT_ID", "DEMO_API_KEY", "start_in_thread"]
