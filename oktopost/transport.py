"""The HTTP layer under ``OktopostClient``: Basic auth, the ``{Result, ...}`` envelope,
error mapping, retries and the shared rate budget. The resources (one method per endpoint)
live in ``oktopost.client``.

Retry policy:

* Reads (GET) are idempotent: on a RetryableError (5xx, timeout, dropped connection, a body
  that is not the JSON envelope) they are tried again up to ``max_retries`` times with
  exponential backoff and full jitter.
* Writes (POST/DELETE) are tried again only when the connection failed before any byte of the
  request was sent (connection refused, DNS failure, connect timeout), which is provably
  safe. Once a write has been sent, a lost answer (read timeout, dropped connection,
  truncated or non-JSON body, 5xx) raises AmbiguousWriteError and is never retried.
* A 429 is never retried in place: the block lasts 15 minutes (API reference §1 "Rate
  limits"). The client records it in the shared limiter so every process pauses, then
  raises RateLimited with ``retry_at``.
* 4xx and ``Result: false`` raise PermanentError (AuthError, NotFound) and are not retried.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, Self

import requests
import urllib3.exceptions

from oktopost.errors import (
    AmbiguousWriteError,
    AuthError,
    NotFound,
    PermanentError,
    RateLimited,
    RetryableError,
    SchemaError,
    UnknownEndpoint,
    split_errors,
)
from oktopost.limiter import Limiter, Priority
from oktopost.types import Page

logger = logging.getLogger(__name__)

BASE_URLS = {
    "us": "https://api.oktopost.com/v2",
    "eu": "https://eu-api.oktopost.com/v2",
}
# Oktopost documents a 15-minute block after a burst breach and sends no Retry-After.
DEFAULT_BLOCK_SECONDS = 15 * 60

DEFAULT_USER_AGENT = "oktopost-client"

_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_BACKOFF_CAP = 30.0


class Transport:
    """One pooled ``requests.Session`` per instance, thread-safe enough; ``OktopostClient``
    adds the endpoints."""

    def __init__(
        self,
        *,
        account_id: str,
        api_key: str,
        region: Literal["us", "eu"] = "us",
        base_url: str | None = None,
        limiter: Limiter | None = None,
        timeout: tuple[float, float] = (3.05, 15.0),
        max_retries: int = 3,
        backoff_base: float = 0.5,
        block_seconds: float = DEFAULT_BLOCK_SECONDS,
        priority: Priority = "background",
        max_wait: float = 30.0,
        session: requests.Session | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        """
        ``priority`` is what every call of this client asks the limiter for: the sync uses
        the default "background"; services acting for an editor use ``with_priority``.
        ``max_wait`` bounds how long a call sleeps in the limiter before RateLimited.
        ``block_seconds`` is how long all callers pause after a 429 without Retry-After.
        ``user_agent`` lets the application name itself to Oktopost (the client knows no
        application, so its default is neutral).
        """
        if base_url is None:
            if region not in BASE_URLS:
                raise ValueError(f"region must be one of {sorted(BASE_URLS)}, got {region!r}")
            base_url = BASE_URLS[region]
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        self.limiter = limiter
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.block_seconds = block_seconds
        self.priority: Priority = priority
        self.max_wait = max_wait
        self.session = session or requests.Session()
        self.session.auth = (account_id, api_key)
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"
        self._calls = _CallCount()

    @property
    def calls(self) -> int:
        """HTTP answers received so far, retries and error answers included, by this client
        and every client derived from it with ``with_priority`` (they share one count, so a
        run that derives a client for some of its calls still reports what it used)."""
        return self._calls.value

    def with_priority(self, priority: Priority, *, max_wait: float | None = None) -> Self:
        """A client calling at another priority (and, if given, waiting at most ``max_wait``
        seconds for the budget); it shares this one's session, limiter and call count."""
        # Not through __init__: that would start a new count, and it needs the API key,
        # which this client keeps only inside the shared session.
        child = object.__new__(type(self))
        child.base_url = self.base_url
        child.account_id = self.account_id
        child.limiter = self.limiter
        child.timeout = self.timeout
        child.max_retries = self.max_retries
        child.backoff_base = self.backoff_base
        child.block_seconds = self.block_seconds
        child.priority = priority
        child.max_wait = self.max_wait if max_wait is None else max_wait
        child.session = self.session
        child._calls = self._calls
        return child

    def _page[T](
        self,
        call: str,
        path: str,
        params: dict[str, Any],
        parse: Callable[..., T],
        *,
        page: int,
        count: int,
    ) -> Page[T]:
        body = self._request("GET", path, call=call, params=params)
        items = list_member(body, "Items", call)
        total = body.get("Total")
        if isinstance(total, bool) or not isinstance(total, int | str):
            raise _schema(call, "Total", f"should be an integer, got {total!r}")
        try:
            total_int = int(total)
        except ValueError:
            raise _schema(call, "Total", f"should be an integer, got {total!r}") from None
        parsed = tuple(parse(item, call=call, where=f"Items[{i}]") for i, item in enumerate(items))
        return Page(items=parsed, total=total_int, page=page, count=count)

    def _request(
        self,
        method: str,
        path: str,
        *,
        call: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        """One logical call: limiter, HTTP, envelope check, retries. Returns the envelope.
        ``idempotent`` marks a POST that only reads (``POST /calendar``): retried like a
        GET, never an AmbiguousWriteError."""
        is_write = method in _WRITE_METHODS and not idempotent
        attempt = 0
        while True:
            try:
                return self._attempt(
                    method, path, call=call, params=params, data=data, is_write=is_write
                )
            except _NotSent as exc:
                # Nothing reached Oktopost, so even a write is safe to send again.
                error: RetryableError = exc.error
            except RetryableError as exc:
                if isinstance(exc, RateLimited) or is_write:
                    raise
                error = exc
            if attempt >= self.max_retries:
                raise error
            delay = random.uniform(0, min(_BACKOFF_CAP, self.backoff_base * 2**attempt))  # noqa: S311
            logger.info(
                "Oktopost %s failed (%s); retry %d in %.2fs", call, error, attempt + 1, delay
            )
            time.sleep(delay)
            attempt += 1

    def _attempt(
        self,
        method: str,
        path: str,
        *,
        call: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        is_write: bool,
    ) -> dict[str, Any]:
        if self.limiter is not None:
            try:
                self.limiter.acquire(priority=self.priority, max_wait=self.max_wait)
            except RateLimited as exc:
                exc.call = call
                raise
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                timeout=self.timeout,
                allow_redirects=False,
                hooks={"response": self._calls.hook},
            )
        except requests.RequestException as exc:
            if _not_sent(exc):
                raise _NotSent(RetryableError(f"could not connect: {exc}", call=call)) from exc
            if is_write:
                raise AmbiguousWriteError(
                    f"sent, but the answer was lost ({type(exc).__name__}); "
                    "check whether it was applied before trying again",
                    call=call,
                    timed_out=isinstance(exc, requests.Timeout),
                ) from exc
            raise RetryableError(f"{type(exc).__name__}: {exc}", call=call) from exc
        return self._check(response, call=call, is_write=is_write)

    def _check(self, response: requests.Response, *, call: str, is_write: bool) -> dict[str, Any]:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if not (isinstance(body, dict) and isinstance(body.get("Result"), bool)):
            body = None
        envelope = body is not None
        messages, summary = split_errors(body.get("Errors")) if body is not None else ({}, "")
        said = {"messages": messages, "summary": summary}

        if status == 429:
            retry_at = time.time() + _retry_after(response, self.block_seconds)
            if self.limiter is not None:
                # A 429 despite our pacing: someone else uses the key too. Pause, and run
                # slower for the rest of the day.
                self.limiter.block_until(retry_at)
                self.limiter.slow_down()
            raise RateLimited(
                "Oktopost rate limit hit; all calls paused",
                retry_at=retry_at,
                call=call,
                status=status,
                **said,
            )
        if status in (401, 403):
            raise AuthError(_reason(response, envelope), call=call, status=status, **said)
        if status == 404:
            # An unknown id names the object ("Post not found"); an unknown route says
            # nothing (docs/oktopost.md "Unknown path"), nor does a proxy's own 404 page.
            missing = NotFound if messages else UnknownEndpoint
            raise missing(_reason(response, envelope), call=call, status=status, **said)
        if 400 <= status < 500:
            raise PermanentError(_reason(response, envelope), call=call, status=status, **said)
        if status >= 500 or body is None or not (200 <= status < 300):
            problem = (
                f"server error {status}"
                if status >= 500
                else f"unexpected answer (HTTP {status}, {_describe_body(response)})"
            )
            if is_write:
                raise AmbiguousWriteError(
                    f"{problem}; the write may have been applied, check before trying again",
                    call=call,
                    status=status,
                    **said,
                )
            raise RetryableError(problem, call=call, status=status, **said)
        if body["Result"] is False:
            # Oktopost may signal a refusal with HTTP 200 and Result:false (API reference §1).
            raise PermanentError(
                "Oktopost answered Result: false", call=call, status=status, **said
            )
        return body


class _CallCount:
    """A count of HTTP answers that clients sharing it may add to from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        # requests runs response hooks once the status line and headers have arrived, before
        # the body is read: an answer whose body is then cut off still counts.
        with self._lock:
            self.value += 1
        return response


class _NotSent(Exception):
    """Internal: the request never left this machine, so retrying it is always safe."""

    def __init__(self, error: RetryableError) -> None:
        super().__init__(str(error))
        self.error = error


def _not_sent(exc: requests.RequestException) -> bool:
    """True when the failure happened while connecting, before the request was written."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    # requests wraps urllib3's MaxRetryError, whose ``reason`` is the real cause.
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError):
            return True
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.append(getattr(current, "reason", None))
        pending.append(current.__cause__)
        pending.append(current.__context__)
    return False


def _retry_after(response: requests.Response, default: float) -> float:
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _reason(response: requests.Response, envelope: bool) -> str:
    if envelope:
        return response.reason or "refused"
    return f"{response.reason or 'refused'} ({_describe_body(response)})"


def _describe_body(response: requests.Response) -> str:
    kind = response.headers.get("Content-Type", "no content type").split(";")[0]
    snippet = response.text[:80].replace("\n", " ")
    return f"{kind}: {snippet!r}"


def member(body: dict[str, Any], key: str, call: str) -> Any:
    """A member of the envelope that must be there (``Post``, ``Items``, ...)."""
    if key not in body or body[key] is None:
        raise _schema(call, key, "is missing")
    return body[key]


def list_member(body: dict[str, Any], key: str, call: str) -> list[Any]:
    """A member of the envelope that must be a list."""
    value = member(body, key, call)
    if not isinstance(value, list):
        raise _schema(call, key, f"should be a list, got {type(value).__name__}")
    return value


def _schema(call: str, key: str, problem: str) -> SchemaError:
    return SchemaError(f"field {key} {problem}", call=call, field=key)
