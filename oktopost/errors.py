"""Errors raised by the Oktopost client and the rate limiter.

Hierarchy (the ``permanent`` flag tells a task whether a retry can help):

    OktopostError
    ├── PermanentError          permanent=True   400, 401, 403, 404, Result:false, bad fields
    │   ├── AuthError                            401, 403
    │   ├── NotFound                             404
    │   │   └── UnknownEndpoint                  404 without a text: no such route
    │   └── SchemaError                          a field of a 2xx answer is missing or mistyped
    ├── RetryableError          permanent=False  5xx, timeouts, connection errors, non-envelope body
    │   └── RateLimited                          429, our own budget spent, or a block in force
    └── AmbiguousWriteError     permanent=True   a write was sent but its answer was lost

``AmbiguousWriteError`` is its own branch on purpose: it is not retryable (a second create
may publish twice) and not a rejection either (the write may have happened). The caller must
look the object up before deciding what to do; ``permanent`` is True so generic retry code
leaves it alone.
"""

from __future__ import annotations

from typing import Any


def flatten_errors(errors: Any) -> dict[str, str]:
    """Flatten Oktopost's ``Errors`` member into ``{key: message}``.

    Oktopost sends ``{"<param or API>": {"Error": "<message>"}}``; an empty map is
    serialised by PHP as ``[]`` (API reference §1 "Errors", "Empty Errors"). Strings and
    lists are tolerated too, so an odd shape still yields a readable message, not a crash.
    """
    if isinstance(errors, dict):
        flat: dict[str, str] = {}
        for key, value in errors.items():
            if isinstance(value, dict) and "Error" in value:
                flat[str(key)] = str(value["Error"])
            elif isinstance(value, dict):
                # {"Param": {"get": "Missing value for parameter postId"}} (OKC
                # api-fallback.md): the texts, without their inner keys.
                flat[str(key)] = "; ".join(str(v) for v in value.values())
            else:
                flat[str(key)] = str(value)
        return flat
    if isinstance(errors, list):
        return {str(i): str(item) for i, item in enumerate(errors)}
    if errors in (None, ""):
        return {}
    return {"API": str(errors)}


def split_errors(errors: Any) -> tuple[dict[str, str], str]:
    """``(messages, summary)`` of an ``Errors`` member.

    A validation error names each bad parameter and also says it all under ``API``, the
    one text the SDK shows (src/http/errors.ts ``fromResponse``). ``messages`` keeps the
    parameters (callers map them to form fields) and leaves that summary out so nothing
    reads twice; alone, ``API`` stays in ``messages`` (a refusal such as "Post not
    found")."""
    messages = flatten_errors(errors)
    if "API" in messages and len(messages) > 1:
        return messages, messages.pop("API")
    return messages, messages.get("API", "")


class OktopostError(Exception):
    """Base class: every failure of an Oktopost call or of the rate budget.

    ``messages`` are Oktopost's texts by parameter (or ``API``); ``summary`` is its one
    text for the whole refusal when it gave one (``Errors.API.Error``)."""

    permanent: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        call: str = "",
        status: int | None = None,
        messages: dict[str, str] | None = None,
        summary: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.call = call
        self.status = status
        self.messages: dict[str, str] = dict(messages or {})
        self.summary = summary or self.messages.get("API", "")

    def __str__(self) -> str:
        head = self.call or "Oktopost"
        if self.status is not None:
            head = f"{head} -> HTTP {self.status}"
        parts = [self.message] if self.message else []
        parts += [f"{key}: {value}" for key, value in self.messages.items()]
        return f"{head}: {'; '.join(parts)}" if parts else head


class PermanentError(OktopostError):
    """Oktopost refused the call; sending it again unchanged will fail again."""

    permanent = True


class AuthError(PermanentError):
    """401 (wrong account id or API key) or 403 (the user lacks the permission)."""


class NotFound(PermanentError):
    """404: the object does not exist or the API user cannot see it."""


class UnknownEndpoint(NotFound):
    """404 with no text: the route itself is unknown (Oktopost answers an unknown path
    with ``"Errors": []``, OKC api-fallback.md), or this account's plan lacks it. Not a
    missing object: a sync must not read it as "deleted"."""


class SchemaError(PermanentError):
    """A successful answer whose fields do not match what the client relies on."""

    def __init__(self, message: str = "", *, call: str = "", field: str = "") -> None:
        super().__init__(message, call=call)
        self.field = field


class RetryableError(OktopostError):
    """A transient failure: 5xx, timeout, connection error, or a body that is not JSON."""

    permanent = False


class RateLimited(RetryableError):
    """No call may be made before ``retry_at`` (epoch seconds, UTC)."""

    def __init__(
        self,
        message: str = "",
        *,
        retry_at: float,
        call: str = "",
        status: int | None = None,
        messages: dict[str, str] | None = None,
        summary: str = "",
    ) -> None:
        super().__init__(message, call=call, status=status, messages=messages, summary=summary)
        self.retry_at = retry_at


class AmbiguousWriteError(OktopostError):
    """A POST/DELETE reached the wire but no usable answer came back.

    The write may or may not have been applied. Look the object up (e.g. list the
    message's posts) before trying again; never retry it blindly. `timed_out` tells a
    silence from an answer that was cut off or was an error page.
    """

    permanent = True

    def __init__(self, message: str = "", *, timed_out: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.timed_out = timed_out
