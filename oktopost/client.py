"""HTTP client for the Oktopost REST API v2 (the subset oktodash uses).

Everything Oktopost-specific lives here: base URLs, Basic auth, the ``{Result, ...}``
envelope, paging, parsing into ``oktopost.types``, error mapping, retries and the shared
rate budget. It knows nothing about Django or the database.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

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
    flatten_errors,
)
from oktopost.limiter import Limiter, Priority
from oktopost.types import (
    MEDIA_TYPES,
    UPLOAD_MIME_TYPES,
    UPLOAD_STATUSES,
    Campaign,
    Credential,
    FirstCommentInput,
    Me,
    Media,
    Message,
    Page,
    Post,
    Postlog,
    Upload,
    User,
    VideoCheck,
    format_datetime,
)

logger = logging.getLogger(__name__)

BASE_URLS = {
    "us": "https://api.oktopost.com/v2",
    "eu": "https://eu-api.oktopost.com/v2",
}
# Oktopost accepts only these page sizes on most lists (API reference §1 "Pagination").
PAGE_SIZES = (25, 50, 100)
POST_ORDERS = ("created", "modified", "startDateTime")
# Oktopost documents a 15-minute block after a burst breach and sends no Retry-After.
DEFAULT_BLOCK_SECONDS = 15 * 60
# Lists of ids in one ``GET /message?ids=`` call (API reference §5).
MESSAGE_IDS_PER_CALL = 100

DEFAULT_USER_AGENT = "oktopost-client"

_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_BACKOFF_CAP = 30.0

PostOrder = Literal["created", "modified", "startDateTime"]
# A LinkedIn first comment's text limit (API reference §2 "Create params").
FIRST_COMMENT_MAX = 3000


class OktopostClient:
    """A thread-safe-enough client: one pooled ``requests.Session`` per instance."""

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

    def with_priority(self, priority: Priority, *, max_wait: float | None = None) -> OktopostClient:
        """A client calling at another priority (and, if given, waiting at most ``max_wait``
        seconds for the budget); it shares this one's session, limiter and call count."""
        # Not through __init__: that would start a new count, and it needs the API key,
        # which this client keeps only inside the shared session.
        child = object.__new__(OktopostClient)
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

    # -- account -------------------------------------------------------------------------

    def me(self) -> Me:
        call = "GET /me"
        return Me.from_api(self._request("GET", "/me", call=call), call=call)

    # -- posts ---------------------------------------------------------------------------

    def post_get(self, post_id: str, *, stats: bool = False) -> Post:
        call = "GET /post/{id}"
        body = self._request(
            "GET", f"/post/{_seg(post_id)}", call=call, params={"stats": 1} if stats else None
        )
        # Stats is a sibling of Post in the envelope, not nested in it (API reference §2).
        return Post.from_api(
            _member(body, "Post", call), call=call, stats=body.get("Stats") if stats else None
        )

    def post_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        order: PostOrder = "created",
        message_id: str | None = None,
        campaign_id: str | None = None,
        status: str | None = None,
        created_by: str | None = None,
        source: str | None = None,
        before: datetime | None = None,
        after: datetime | None = None,
    ) -> Page[Post]:
        """One page of posts; ``after`` is inclusive and ``before`` exclusive on ``order``."""
        if order not in POST_ORDERS:
            raise ValueError(f"order must be one of {POST_ORDERS}, got {order!r}")
        params = _paging(page, count) | {"_order": order}
        params |= _drop_none(
            messageId=message_id,
            campaignId=campaign_id,
            status=status,
            createdBy=created_by,
            source=source,
            before=None if before is None else format_datetime(before),
            after=None if after is None else format_datetime(after),
        )
        return self._page("GET /post", "/post", params, Post.from_api, page=page, count=count)

    def post_create(
        self,
        *,
        message_id: str,
        credential_ids: Sequence[str],
        start_at: datetime | None = None,
        status: str | None = None,
        first_comment: FirstCommentInput | None = None,
    ) -> Post:
        """Schedule ``message_id`` on the profiles. Raises AmbiguousWriteError if the answer
        was lost: check ``post_list(message_id=...)`` before creating again.

        ``first_comment`` is LinkedIn only: Oktopost refuses it when no profile is LinkedIn."""
        data = _drop_none(
            messageId=message_id,
            credentialIds=_join_ids(credential_ids, "credential_ids", required=True),
            startDateTime=None if start_at is None else _epoch(start_at),
            status=status,
        )
        data |= _first_comment_fields(first_comment)
        call = "POST /post"
        return Post.from_api(
            _member(self._request("POST", "/post", call=call, data=data), "Post", call), call=call
        )

    def post_update(
        self,
        post_id: str,
        *,
        start_at: datetime | None = None,
        credential_ids: Sequence[str] | None = None,
        message_id: str | None = None,
        status: str | None = None,
        first_comment: FirstCommentInput | None = None,
        remove_first_comment: bool = False,
    ) -> Post:
        """Change an unsent post; only the arguments given are sent.

        ``first_comment`` sets (replaces) the LinkedIn first comment; ``remove_first_comment``
        sends ``firstComment=null``, which removes it. The two cannot go together."""
        if first_comment is not None and remove_first_comment:
            raise ValueError("give first_comment or remove_first_comment, not both")
        data = _drop_none(
            startDateTime=None if start_at is None else _epoch(start_at),
            credentialIds=None
            if credential_ids is None
            else _join_ids(credential_ids, "credential_ids", required=True),
            messageId=message_id,
            status=status,
        )
        data |= _first_comment_fields(first_comment)
        if remove_first_comment:
            data["firstComment"] = "null"
        if not data:
            raise ValueError("post_update needs at least one field to change")
        call = "POST /post/{id}"
        body = self._request("POST", f"/post/{_seg(post_id)}", call=call, data=data)
        return Post.from_api(_member(body, "Post", call), call=call)

    def post_delete(self, post_id: str) -> None:
        self._request("DELETE", f"/post/{_seg(post_id)}", call="DELETE /post/{id}")

    # -- messages ------------------------------------------------------------------------

    def message_list(
        self,
        *,
        campaign_id: str | None = None,
        ids: Sequence[str] | None = None,
        network: str | None = None,
        page: int = 0,
        count: int = 100,
    ) -> Page[Message]:
        """Messages of a campaign, or up to 100 messages by id (Oktopost needs one of them)."""
        if campaign_id is None and not ids:
            raise ValueError("message_list needs campaign_id or ids")
        if ids is not None and len(ids) > MESSAGE_IDS_PER_CALL:
            raise ValueError(f"at most {MESSAGE_IDS_PER_CALL} ids per call; use messages_by_ids")
        params = _paging(page, count) | _drop_none(
            campaignId=campaign_id,
            ids=None if not ids else _join_ids(ids, "ids"),
            network=network,
        )
        return self._page(
            "GET /message", "/message", params, Message.from_api, page=page, count=count
        )

    def messages_by_ids(self, ids: Iterable[str]) -> list[Message]:
        """The messages among ``ids`` that exist, one call per 100 ids, in API order."""
        unique = list(dict.fromkeys(ids))
        found: list[Message] = []
        for start in range(0, len(unique), MESSAGE_IDS_PER_CALL):
            batch = unique[start : start + MESSAGE_IDS_PER_CALL]
            found.extend(self.message_list(ids=batch, count=100).items)
        return found

    def message_create(
        self,
        *,
        network: str,
        campaign_id: str,
        text: str,
        link_url: str | None = None,
        link_title: str | None = None,
        description: str | None = None,
        image_url: str | None = None,
        title: str | None = None,
        media_ids: Sequence[str] | None = None,
    ) -> Message:
        """Create a message. Raises AmbiguousWriteError if the answer was lost.

        ``media_ids`` are media library items (``026…``) sent as ``media``, comma-joined."""
        data = _drop_none(
            network=network,
            campaignId=campaign_id,
            message=text,
            linkUrl=link_url,
            linkTitle=link_title,
            description=description,
            imageUrl=image_url,
            title=title,
            media=None if not media_ids else _join_ids(media_ids, "media_ids"),
        )
        call = "POST /message"
        body = self._request("POST", "/message", call=call, data=data)
        return Message.from_api(_member(body, "Message", call), call=call)

    # -- media library -------------------------------------------------------------------

    def media_create(self, *, resource: str, name: str | None = None) -> Media:
        """Add an image by its public URL (``POST /media``); Oktopost checks that it answers.
        Raises AmbiguousWriteError if the answer was lost."""
        if not resource.strip():
            raise ValueError("resource must be an image URL")
        call = "POST /media"
        data = _drop_none(resource=resource.strip(), name=name)
        body = self._request("POST", "/media", call=call, data=data)
        return Media.from_api(_member(body, "Media", call), call=call)

    def media_list(
        self,
        *,
        q: str | None = None,
        type: str | None = None,
        page: int = 0,
        count: int = 100,
    ) -> Page[Media]:
        """One page of the media library; ``q`` matches names, ``type`` is in MEDIA_TYPES."""
        if type is not None and type not in MEDIA_TYPES:
            raise ValueError(f"type must be one of {MEDIA_TYPES}, got {type!r}")
        params = _paging(page, count) | _drop_none(q=q or None, type=type)
        return self._page("GET /media", "/media", params, Media.from_api, page=page, count=count)

    def media_get(self, media_id: str) -> Media:
        call = "GET /media/{id}"
        body = self._request("GET", f"/media/{_seg(media_id)}", call=call)
        return Media.from_api(_member(body, "Media", call), call=call)

    def media_delete(self, media_id: str) -> None:
        self._request("DELETE", f"/media/{_seg(media_id)}", call="DELETE /media/{id}")

    # -- uploads ---------------------------------------------------------------------------

    def upload_create(self, *, source: str, name: str, mime_type: str) -> Upload:
        """Ask Oktopost to fetch a file (``POST /upload``). ``source`` must answer HEAD and
        ranged GETs; the upload starts ``pending``: poll ``upload_get`` until it is
        ``complete`` (then ``media_id`` is set) or ``failed`` (``reason`` says why)."""
        if mime_type not in UPLOAD_MIME_TYPES:
            raise ValueError(f"mime_type must be one of {UPLOAD_MIME_TYPES}, got {mime_type!r}")
        if not source.strip() or not name.strip():
            raise ValueError("upload_create needs a source URL and a name")
        call = "POST /upload"
        data = {"source": source.strip(), "name": name.strip(), "mimeType": mime_type}
        body = self._request("POST", "/upload", call=call, data=data)
        return Upload.from_api(_member(body, "Upload", call), call=call)

    def upload_get(self, upload_id: str) -> Upload:
        call = "GET /upload/{id}"
        body = self._request("GET", f"/upload/{_seg(upload_id)}", call=call)
        return Upload.from_api(_member(body, "Upload", call), call=call)

    def upload_list(
        self, *, status: str | None = None, page: int = 0, count: int = 100
    ) -> Page[Upload]:
        if status is not None and status not in UPLOAD_STATUSES:
            raise ValueError(f"status must be one of {UPLOAD_STATUSES}, got {status!r}")
        params = _paging(page, count) | _drop_none(status=status)
        return self._page("GET /upload", "/upload", params, Upload.from_api, page=page, count=count)

    def video_validate(self, media_id: str) -> VideoCheck:
        """Whether a video media item can be published (``GET /video-validate/{mediaId}``)."""
        call = "GET /video-validate/{id}"
        body = self._request("GET", f"/video-validate/{_seg(media_id)}", call=call)
        return VideoCheck.from_api(body, call=call)

    # -- campaigns -----------------------------------------------------------------------

    def campaign_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        q: str | None = None,
        status: str | None = None,
    ) -> Page[Campaign]:
        params = _paging(page, count) | _drop_none(q=q, status=status)
        return self._page(
            "GET /campaign", "/campaign", params, Campaign.from_api, page=page, count=count
        )

    def campaigns_iter(
        self, *, q: str | None = None, status: str | None = None
    ) -> Iterator[Campaign]:
        """Every campaign matching the filters, 100 per call."""
        return _iterate(lambda page: self.campaign_list(page=page, count=100, q=q, status=status))

    # -- social profiles -----------------------------------------------------------------

    def credential_list(
        self, *, network: str | None = None, include_invalid: bool = False
    ) -> list[Credential]:
        """All social profiles; Oktopost documents no paging for this list (§7)."""
        call = "GET /credential"
        params = _drop_none(network=network) | {"includeInvalid": int(include_invalid)}
        body = self._request("GET", "/credential", call=call, params=params)
        return [
            Credential.from_api(item, call=call, where=f"Items[{i}]")
            for i, item in enumerate(_list_member(body, "Items", call))
        ]

    # -- users ---------------------------------------------------------------------------

    def user_list(self, *, page: int = 0, count: int = 100) -> Page[User]:
        """The account's users (``GET /user``, API notes "Other endpoints")."""
        return self._page(
            "GET /user", "/user", _paging(page, count), User.from_api, page=page, count=count
        )

    def users_iter(self) -> Iterator[User]:
        """Every user of the account, 100 per call."""
        return _iterate(lambda page: self.user_list(page=page, count=100))

    def user_get(self, user_id: str) -> User:
        call = "GET /user/{id}"
        body = self._request("GET", f"/user/{_seg(user_id)}", call=call)
        return User.from_api(_member(body, "User", call), call=call)

    # -- postlogs ------------------------------------------------------------------------

    def postlog_list(self, post_id: str) -> list[Postlog]:
        """Delivery attempts of a post; this endpoint has its own envelope (§3)."""
        call = "GET /postlog"
        body = self._request("GET", "/postlog", call=call, params={"postId": post_id})
        return [
            Postlog.from_api(item, call=call, where=f"Postlogs[{i}]")
            for i, item in enumerate(_list_member(body, "Postlogs", call))
        ]

    # -- transport -----------------------------------------------------------------------

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
        items = _list_member(body, "Items", call)
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
    ) -> dict[str, Any]:
        """One logical call: limiter, HTTP, envelope check, retries. Returns the envelope."""
        is_write = method in _WRITE_METHODS
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, call=call, params=params, data=data)
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
    ) -> dict[str, Any]:
        is_write = method in _WRITE_METHODS
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
        messages = flatten_errors(body.get("Errors")) if body is not None else {}

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
                messages=messages,
            )
        if status in (401, 403):
            raise AuthError(
                _reason(response, envelope), call=call, status=status, messages=messages
            )
        if status == 404:
            raise NotFound(_reason(response, envelope), call=call, status=status, messages=messages)
        if 400 <= status < 500:
            raise PermanentError(
                _reason(response, envelope), call=call, status=status, messages=messages
            )
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
                    messages=messages,
                )
            raise RetryableError(problem, call=call, status=status, messages=messages)
        if body["Result"] is False:
            # Oktopost may signal a refusal with HTTP 200 and Result:false (API reference §1).
            raise PermanentError(
                "Oktopost answered Result: false", call=call, status=status, messages=messages
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


def _member(body: dict[str, Any], key: str, call: str) -> Any:
    if key not in body or body[key] is None:
        raise _schema(call, key, "is missing")
    return body[key]


def _list_member(body: dict[str, Any], key: str, call: str) -> list[Any]:
    value = _member(body, key, call)
    if not isinstance(value, list):
        raise _schema(call, key, f"should be a list, got {type(value).__name__}")
    return value


def _schema(call: str, key: str, problem: str) -> SchemaError:
    return SchemaError(f"field {key} {problem}", call=call, field=key)


def _paging(page: int, count: int) -> dict[str, Any]:
    if count not in PAGE_SIZES:
        raise ValueError(f"count must be one of {PAGE_SIZES}, got {count}")
    if page < 0:
        raise ValueError(f"page must be >= 0, got {page}")
    return {"_page": page, "_count": count}


def _iterate[T](fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    page_number = 0
    while True:
        page = fetch(page_number)
        yield from page.items
        if not page.has_next:
            return
        page_number += 1


def _drop_none(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _join_ids(ids: Sequence[str] | str, name: str, *, required: bool = False) -> str:
    if isinstance(ids, str):
        # A bare string would be joined letter by letter.
        raise TypeError(f"{name} must be a sequence of ids, not a string")
    joined = ",".join(str(item).strip() for item in ids)
    if required and not joined:
        raise ValueError(f"{name} must not be empty")
    return joined


def _first_comment_fields(first_comment: FirstCommentInput | None) -> dict[str, str]:
    """PHP bracket notation, as the SDK sends objects (API reference §1 "Arrays/objects")."""
    if first_comment is None:
        return {}
    text = first_comment.text or ""
    if not text.strip() and not first_comment.media_id:
        raise ValueError("a first comment needs text or an image")
    if len(text) > FIRST_COMMENT_MAX:
        raise ValueError(
            f"a first comment has at most {FIRST_COMMENT_MAX} characters, got {len(text)}"
        )
    fields = {"firstComment[text]": text}
    if first_comment.media_id:
        fields["firstComment[media]"] = first_comment.media_id
    return fields


def _epoch(value: datetime) -> int:
    # Oktopost takes startDateTime as Unix seconds (API reference §2 "Create params").
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive; pass a timezone-aware datetime")
    return int(value.timestamp())


def _seg(value: str) -> str:
    if not value:
        raise ValueError("an id is required")
    return quote(str(value), safe="")
