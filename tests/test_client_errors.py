"""How the client classifies and retries failures, over real HTTP.

Most faults come from the sandbox's fault injection. A few answers the sandbox never gives
(HTTP 200 with Result:false, a Retry-After header) come from a tiny scripted HTTP server, so
the client still talks to a real socket.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from oktopost.client import OktopostClient
from oktopost.errors import (
    AmbiguousWriteError,
    AuthError,
    NotFound,
    PermanentError,
    RateLimited,
    RetryableError,
    UnknownEndpoint,
)
from oktopost.types import Post


def make_client(sandbox: Any, **overrides: Any) -> OktopostClient:
    settings: dict[str, Any] = {
        "account_id": sandbox.account_id,
        "api_key": sandbox.api_key,
        "base_url": sandbox.base_url,
        "timeout": (1.0, 2.0),
        "backoff_base": 0.01,
    }
    return OktopostClient(**(settings | overrides))


def faults(sandbox: Any, **settings: Any) -> None:
    sandbox.control("POST", "/_sandbox/faults", json=settings)


def endpoint_calls(sandbox: Any, key: str) -> int:
    return int(sandbox.calls()["by_endpoint"].get(key, 0))


def settled_calls(sandbox: Any, key: str, expected: int, timeout: float = 3.0) -> int:
    """The count once a request still sleeping in the sandbox (latency faults) is logged."""
    deadline = time.monotonic() + timeout
    while endpoint_calls(sandbox, key) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # long enough for an unexpected extra call to show up too
    return endpoint_calls(sandbox, key)


def unsent_post(client: OktopostClient) -> Post:
    return client.post_list(status="pending", count=25).items[0]


def posts_of(client: OktopostClient, message_id: str) -> set[str]:
    page = client.post_list(message_id=message_id, count=100)
    assert not page.has_next, "a sandbox message has far fewer than 100 posts"
    return {post.id for post in page.items}


# -- reads are retried ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "html", "drop", "truncate", "garbage"])
def test_a_read_is_retried_after_a_transient_fault(sandbox: Any, fault: str) -> None:
    client = make_client(sandbox)
    faults(sandbox, next=[fault])

    me = client.me()

    assert me.account_id == sandbox.account_id
    assert endpoint_calls(sandbox, "GET /me") == 2


def test_a_read_gives_up_after_max_retries(sandbox: Any) -> None:
    client = make_client(sandbox, max_retries=3)
    faults(sandbox, next=["500"] * 5)

    with pytest.raises(RetryableError) as excinfo:
        client.me()

    assert endpoint_calls(sandbox, "GET /me") == 4
    assert excinfo.value.status == 500
    assert not excinfo.value.permanent
    assert str(excinfo.value).startswith("GET /me -> HTTP 500")


def test_an_html_error_page_is_retryable_and_described(sandbox: Any) -> None:
    client = make_client(sandbox, max_retries=0)
    faults(sandbox, next=["html"])

    with pytest.raises(RetryableError) as excinfo:
        client.me()

    assert excinfo.value.status == 502
    assert "text/html" in str(excinfo.value) or "502" in str(excinfo.value)


def test_a_truncated_body_is_retryable(sandbox: Any) -> None:
    client = make_client(sandbox, max_retries=0)
    faults(sandbox, next=["truncate"])

    with pytest.raises(RetryableError):
        client.post_list(count=25)


def test_a_read_slower_than_the_timeout_is_retried(sandbox: Any) -> None:
    client = make_client(sandbox, timeout=(1.0, 0.4))
    faults(sandbox, next=["slow:1200"])

    client.me()

    assert settled_calls(sandbox, "GET /me", 2) == 2


def test_a_read_that_always_times_out_raises_retryable(sandbox: Any) -> None:
    client = make_client(sandbox, timeout=(1.0, 0.3), max_retries=1)
    faults(sandbox, latency_ms=1000)

    with pytest.raises(RetryableError, match="ReadTimeout"):
        client.me()

    assert settled_calls(sandbox, "GET /me", 2) == 2


def test_a_refused_connection_is_retryable_even_for_a_write() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OktopostClient(
        account_id="001",
        api_key="k",
        base_url=f"http://127.0.0.1:{port}/v2",
        backoff_base=0.01,
    )

    with pytest.raises(RetryableError) as excinfo:
        client.post_create(message_id="005", credential_ids=["003-1-1"])

    assert not isinstance(excinfo.value, AmbiguousWriteError)
    assert "could not connect" in str(excinfo.value)


# -- writes are never retried once sent ------------------------------------------------------


def test_a_write_that_times_out_after_acting_is_ambiguous_and_not_repeated(
    sandbox: Any,
) -> None:
    client = make_client(sandbox, timeout=(1.0, 0.5))
    template = unsent_post(client)
    before = posts_of(client, template.message_id)
    faults(sandbox, after_write_delay_ms=1500)

    with pytest.raises(AmbiguousWriteError) as excinfo:
        client.post_create(
            message_id=template.message_id, credential_ids=list(template.credential_ids)
        )

    faults(sandbox)
    assert excinfo.value.call == "POST /post"
    assert "ReadTimeout" in str(excinfo.value)
    assert settled_calls(sandbox, "POST /post", 1) == 1
    # The sandbox applied the write before stalling: exactly one new post exists.
    assert len(posts_of(client, template.message_id) - before) == 1


@pytest.mark.parametrize(
    ("fault", "applied"), [("drop", False), ("500", False), ("truncate", True)]
)
def test_a_write_with_a_lost_answer_is_ambiguous(sandbox: Any, fault: str, applied: bool) -> None:
    client = make_client(sandbox)
    template = unsent_post(client)
    before = posts_of(client, template.message_id)
    faults(sandbox, next=[fault])

    with pytest.raises(AmbiguousWriteError):
        client.post_create(
            message_id=template.message_id, credential_ids=list(template.credential_ids)
        )

    assert endpoint_calls(sandbox, "POST /post") == 1
    assert len(posts_of(client, template.message_id) - before) == int(applied)


def test_a_delete_with_a_dropped_answer_is_ambiguous(sandbox: Any) -> None:
    client = make_client(sandbox)
    post = unsent_post(client)
    faults(sandbox, next=["drop"])

    with pytest.raises(AmbiguousWriteError):
        client.post_delete(post.id)

    assert endpoint_calls(sandbox, "DELETE /post/{id}") == 1


# -- permanent errors are not retried ---------------------------------------------------------


def test_a_bad_key_is_an_auth_error_and_not_retried(sandbox: Any) -> None:
    client = make_client(sandbox, api_key="wrong")

    with pytest.raises(AuthError):
        client.me()

    assert endpoint_calls(sandbox, "GET /me") == 1


def test_a_missing_post_is_not_found_and_not_retried(sandbox: Any) -> None:
    client = make_client(sandbox)

    with pytest.raises(NotFound):
        client.post_get("004999999999999")

    assert endpoint_calls(sandbox, "GET /post/{id}") == 1


def test_field_errors_are_flattened_by_field(sandbox: Any) -> None:
    client = make_client(sandbox)
    template = unsent_post(client)

    with pytest.raises(PermanentError) as excinfo:
        client.post_update(template.id, status="complete")

    assert excinfo.value.status == 400
    assert list(excinfo.value.messages) == ["status"]
    assert "Status complete is not valid" in excinfo.value.messages["status"]
    assert endpoint_calls(sandbox, "POST /post/{id}") == 1


# -- answers the sandbox never gives, from a scripted server ---------------------------------


@dataclass
class Scripted:
    """A one-route HTTP server that replays queued answers and records requests."""

    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, {"Content-Type": "application/json", **(headers or {})}, raw))


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    state = Scripted()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            state.requests.append(
                {
                    "method": self.command,
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "headers": dict(self.headers),
                    "body": self.rfile.read(length).decode(),
                }
            )
            status, headers, body = state.answers.pop(0)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v2"
    yield state
    server.shutdown()
    server.server_close()


def scripted_client(scripted: Scripted, **overrides: Any) -> OktopostClient:
    settings: dict[str, Any] = {
        "account_id": "001000000000001",
        "api_key": "secret",
        "base_url": scripted.url,
        "backoff_base": 0.01,
    }
    return OktopostClient(**(settings | overrides))


def post_body(post_id: str = "004000000000001") -> dict[str, Any]:
    return {
        "Result": True,
        "Post": {"Id": post_id, "Status": "pending", "StartDateTime": "2030-01-02 03:04:05"},
    }


def test_result_false_with_http_200_is_permanent(scripted: Scripted) -> None:
    scripted.answer(200, {"Result": False, "Errors": {"API": {"Error": "Post not found"}}})

    with pytest.raises(PermanentError) as excinfo:
        scripted_client(scripted).post_get("004000000000001")

    assert excinfo.value.messages == {"API": "Post not found"}
    assert excinfo.value.status == 200
    assert len(scripted.requests) == 1


def test_an_empty_errors_array_still_reads_well(scripted: Scripted) -> None:
    scripted.answer(404, {"Result": False, "Errors": []})

    with pytest.raises(NotFound) as excinfo:
        scripted_client(scripted).post_get("004000000000001")

    assert excinfo.value.messages == {}
    assert str(excinfo.value) == "GET /post/{id} -> HTTP 404: Not Found"


def test_a_404_without_a_text_is_an_unknown_endpoint_and_with_one_a_missing_object(
    scripted: Scripted,
) -> None:
    scripted.answer(404, {"Result": False, "Errors": []})
    scripted.answer(404, b"<html>Not Found</html>", {"Content-Type": "text/html"})
    scripted.answer(404, {"Result": False, "Errors": {"API": {"Error": "Post not found"}}})
    client = scripted_client(scripted)

    with pytest.raises(UnknownEndpoint):
        client.post_get("004000000000001")
    with pytest.raises(UnknownEndpoint):
        client.post_get("004000000000001")
    with pytest.raises(NotFound) as missing:
        client.post_get("004000000000001")

    assert not isinstance(missing.value, UnknownEndpoint)
    assert missing.value.summary == "Post not found"


def test_a_validation_error_reads_each_field_once(scripted: Scripted) -> None:
    scripted.answer(
        400,
        {
            "Result": False,
            "Errors": {
                "API": {"Error": "messageId is required. credentialIds is required."},
                "messageId": {"Error": "messageId is required."},
                "credentialIds": {"Error": "credentialIds is required."},
            },
        },
    )

    with pytest.raises(PermanentError) as excinfo:
        scripted_client(scripted).post_delete("004000000000001")

    assert excinfo.value.messages == {
        "messageId": "messageId is required.",
        "credentialIds": "credentialIds is required.",
    }
    assert excinfo.value.summary == "messageId is required. credentialIds is required."
    assert str(excinfo.value).count("messageId is required.") == 1


def test_the_calendar_is_a_read_and_is_retried(scripted: Scripted) -> None:
    scripted.answer(502, b"bad gateway", {"Content-Type": "text/html"})
    scripted.answer(200, {"Result": True, "Posts": [], "CustomEvents": []})

    found = scripted_client(scripted).calendar(
        from_date=date(2030, 1, 1), to_date=date(2030, 1, 31), networks=["Twitter"]
    )

    assert found.posts == () and len(scripted.requests) == 2
    assert scripted.requests[0]["method"] == "POST"
    assert parse_qs(scripted.requests[0]["body"]) == {
        "fromDate": ["2030-01-01"],
        "toDate": ["2030-01-31"],
        "filters": ['{"networks":["Twitter"]}'],
    }


def test_a_forbidden_action_is_an_auth_error(scripted: Scripted) -> None:
    scripted.answer(403, {"Result": False, "Errors": {"API": {"Error": "No permission"}}})

    with pytest.raises(AuthError, match="No permission"):
        scripted_client(scripted).post_delete("004000000000001")


def test_a_missing_member_is_a_schema_error_naming_the_call(scripted: Scripted) -> None:
    scripted.answer(
        200, {"Result": True, "Items": [{"Id": "004", "Status": "x", "Clicks": "abc"}], "Total": 1}
    )

    with pytest.raises(PermanentError, match=r"GET /post: field Items\[0\].Clicks"):
        scripted_client(scripted).post_list()


def test_requests_carry_auth_user_agent_and_form_fields(scripted: Scripted) -> None:
    client = scripted_client(scripted, user_agent="someapp/2.1")
    scripted.answer(200, post_body())
    scripted.answer(200, {"Result": True, "Items": [], "Total": 0})
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    post = client.post_create(
        message_id="005000000000001", credential_ids=["003-1-1", "003-1-2"], start_at=start
    )
    client.post_list(
        campaign_id="002000000000001",
        after=datetime(2030, 1, 1, tzinfo=UTC),
        before=start,
        order="startDateTime",
    )

    create, listing = scripted.requests
    token = base64.b64encode(b"001000000000001:secret").decode()
    assert create["headers"]["Authorization"] == f"Basic {token}"
    assert create["headers"]["User-Agent"] == "someapp/2.1"
    assert create["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(create["body"]) == {
        "messageId": ["005000000000001"],
        "credentialIds": ["003-1-1,003-1-2"],
        "startDateTime": [str(int(start.timestamp()))],
    }
    assert post.start_at == start
    assert listing["query"] == {
        "_page": ["0"],
        "_count": ["100"],
        "_order": ["startDateTime"],
        "campaignId": ["002000000000001"],
        "after": ["2030-01-01 00:00:00"],
        "before": ["2030-01-02 03:04:05"],
    }


def campaign_items(first: int, count: int) -> list[dict[str, Any]]:
    return [{"Id": f"002{n:012d}", "Name": f"Campaign {n}"} for n in range(first, first + count)]


def test_campaigns_iter_reads_pages_of_100_until_the_total(scripted: Scripted) -> None:
    scripted.answer(200, {"Result": True, "Items": campaign_items(0, 100), "Total": 150})
    scripted.answer(200, {"Result": True, "Items": campaign_items(100, 50), "Total": 150})

    campaigns = list(scripted_client(scripted).campaigns_iter())

    assert [c.name for c in campaigns] == [f"Campaign {n}" for n in range(150)]
    assert [(r["query"]["_page"], r["query"]["_count"]) for r in scripted.requests] == [
        (["0"], ["100"]),
        (["1"], ["100"]),
    ]


def test_campaigns_iter_stops_on_an_empty_page(scripted: Scripted) -> None:
    # A total that overstates what exists must not make the client ask forever.
    scripted.answer(200, {"Result": True, "Items": campaign_items(0, 1), "Total": 500})
    scripted.answer(200, {"Result": True, "Items": [], "Total": 500})

    campaigns = list(scripted_client(scripted).campaigns_iter())

    assert [c.name for c in campaigns] == ["Campaign 0"]
    assert len(scripted.requests) == 2


@pytest.mark.parametrize("retry_after", ["7", "Wed, 01 Jan 2031 00:00:07 GMT"])
def test_a_429_honours_retry_after(scripted: Scripted, retry_after: str) -> None:
    scripted.answer(429, {"Result": False, "Errors": []}, {"Retry-After": retry_after})
    before = time.time()

    with pytest.raises(RateLimited) as excinfo:
        scripted_client(scripted).me()

    if retry_after == "7":
        assert before + 6 < excinfo.value.retry_at < time.time() + 8
    else:
        assert excinfo.value.retry_at == pytest.approx(
            datetime(2031, 1, 1, 0, 0, 7, tzinfo=UTC).timestamp(), abs=1
        )
    assert len(scripted.requests) == 1


def test_an_unknown_path_answers_not_found_with_an_empty_errors_array(sandbox: Any) -> None:
    client = make_client(sandbox, base_url=f"{sandbox.base_url}/no-such-resource")

    with pytest.raises(NotFound) as excinfo:
        client.me()

    assert excinfo.value.messages == {}
    assert str(excinfo.value) == "GET /me -> HTTP 404: Not Found"
