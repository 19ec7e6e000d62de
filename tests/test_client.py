"""Every OktopostClient call, over real HTTP against the sandbox."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from oktodash import __version__
from oktopost.client import OktopostClient
from oktopost.errors import NotFound, PermanentError
from oktopost.transport import BASE_URLS, DEFAULT_USER_AGENT
from oktopost.types import Post
from posts.connection import get_client

# What the Oktopost boundary must never import: it has to work (and be testable) without
# Django settings, and the project depends on it, never the other way round.
PROJECT_PACKAGES = frozenset(
    {
        "django",
        "oktodash",
        "accounts",
        "posts",
        "reports",
        "sharing",
        "alerts",
        "planner",
        "attachments",
    }
)
OKTOPOST_PACKAGE = Path(__file__).resolve().parent.parent / "oktopost"

IMPORT_EVERY_MODULE = f"""
import importlib, json, pkgutil, sys
import oktopost
names = [m.name for m in pkgutil.walk_packages(oktopost.__path__, "oktopost.")]
for name in names:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {sorted(PROJECT_PACKAGES)!r})
print(json.dumps({{"imported": names, "bad": bad}}))
"""


@pytest.fixture
def client(sandbox: Any) -> Iterator[OktopostClient]:
    client = OktopostClient(
        account_id=sandbox.account_id,
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        timeout=(1.0, 5.0),
        backoff_base=0.01,
    )
    yield client
    client.session.close()


def endpoint_calls(sandbox: Any, key: str) -> int:
    """How many requests the sandbox logged for one "METHOD /path" key."""
    return int(sandbox.calls()["by_endpoint"].get(key, 0))


def unsent_post(client: OktopostClient) -> Post:
    return client.post_list(status="pending", count=25).items[0]


def sent_post(client: OktopostClient) -> Post:
    return client.post_list(status="complete", count=25).items[0]


def every_post(client: OktopostClient) -> list[Post]:
    """The sandbox world, page by page, the way the sync reads it."""
    posts: list[Post] = []
    page = client.post_list(count=100)
    posts.extend(page.items)
    while page.has_next:
        page = client.post_list(page=page.page + 1, count=100)
        posts.extend(page.items)
    return posts


def test_importing_oktopost_loads_nothing_of_django_or_the_project() -> None:
    # A fresh interpreter: in this one, pytest-django has already imported Django.
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE],
        cwd=OKTOPOST_PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout)

    assert {"oktopost.client", "oktopost.limiter", "oktopost.sandbox.server"} <= set(
        report["imported"]
    )
    assert report["bad"] == []


def test_no_oktopost_module_imports_django_or_the_project_even_lazily() -> None:
    # Imports inside functions or under TYPE_CHECKING escape the import test above.
    found = []
    for path in sorted(OKTOPOST_PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [
                f"{path.relative_to(OKTOPOST_PACKAGE.parent)}:{node.lineno} {name}"
                for name in names
                if name.split(".")[0] in PROJECT_PACKAGES
            ]

    assert found == []


def test_it_picks_the_base_url_from_the_region() -> None:
    us = OktopostClient(account_id="001", api_key="k")
    eu = OktopostClient(account_id="001", api_key="k", region="eu")
    own = OktopostClient(account_id="001", api_key="k", base_url="http://127.0.0.1:1/v2/")

    assert (us.base_url, eu.base_url) == (BASE_URLS["us"], BASE_URLS["eu"])
    assert own.base_url == "http://127.0.0.1:1/v2"
    with pytest.raises(ValueError, match="region"):
        OktopostClient(account_id="001", api_key="k", region="asia")  # type: ignore[arg-type]


def test_it_names_the_application_only_when_told() -> None:
    plain = OktopostClient(account_id="001", api_key="k")
    named = OktopostClient(account_id="001", api_key="k", user_agent="someapp/2.1")

    assert plain.session.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert named.session.headers["User-Agent"] == "someapp/2.1"


def test_the_dashboard_client_names_oktodash_and_its_version(oktopost: Any) -> None:
    assert get_client().session.headers["User-Agent"] == f"oktodash/{__version__}"


def test_me_returns_the_account_behind_the_key(client: OktopostClient, sandbox: Any) -> None:
    me = client.me()

    assert me.account_id == sandbox.account_id
    assert me.user_id


def test_post_list_returns_one_page_and_the_total(client: OktopostClient) -> None:
    first = client.post_list(count=25)
    second = client.post_list(page=1, count=25)

    assert len(first.items) == 25
    assert first.total > 50
    assert (second.page, second.count, second.total) == (1, 25, first.total)
    assert not {p.id for p in first.items} & {p.id for p in second.items}
    assert first.has_next


def test_post_list_pages_cover_every_post_once(client: OktopostClient, sandbox: Any) -> None:
    total = client.post_list(count=25).total

    posts = every_post(client)

    assert len(posts) == total
    assert len({post.id for post in posts}) == total
    # One call for the total above, then one per page of 100: has_next stops at the last.
    assert endpoint_calls(sandbox, "GET /post") == 1 + math.ceil(total / 100)


def test_post_list_filters_by_campaign_status_and_message(client: OktopostClient) -> None:
    sample = client.post_list(count=25).items[0]

    by_campaign = client.post_list(campaign_id=sample.campaign_id, count=100)
    by_status = client.post_list(status=sample.status, count=100).items
    by_message = client.post_list(message_id=sample.message_id, count=100).items

    # The sandbox's campaigns hold fewer than 100 posts each, so one page is all of them.
    assert not by_campaign.has_next
    assert sample.id in {p.id for p in by_campaign.items}
    assert sample.id in {p.id for p in by_message}
    assert {p.campaign_id for p in by_campaign.items} == {sample.campaign_id}
    assert {p.status for p in by_status} == {sample.status}
    assert {p.message_id for p in by_message} == {sample.message_id}


def test_post_list_filters_by_created_range(client: OktopostClient) -> None:
    posts = client.post_list(count=100).items
    created = sorted(p.created for p in posts if p.created is not None)
    after, before = created[len(created) // 4], created[3 * len(created) // 4]

    page = client.post_list(order="created", after=after, before=before, count=100)
    inside = page.items

    assert inside and not page.has_next
    # "after" is inclusive and "before" exclusive (Posts API page, "List Posts").
    assert all(after <= p.created < before for p in inside if p.created is not None)
    assert any(p.created == after for p in inside)


def test_post_list_orders_by_start_time(client: OktopostClient) -> None:
    posts = client.post_list(order="startDateTime", count=100).items
    starts = [p.start_at for p in posts if p.start_at is not None]

    assert starts == sorted(starts) or starts == sorted(starts, reverse=True)


def test_post_list_rejects_a_page_size_oktopost_refuses(client: OktopostClient) -> None:
    with pytest.raises(ValueError, match="count"):
        client.post_list(count=30)
    with pytest.raises(ValueError, match="naive"):
        client.post_list(after=datetime(2024, 1, 1))


def test_post_get_parses_every_dashboard_field(client: OktopostClient) -> None:
    listed = client.post_list(count=25).items[0]

    post = client.post_get(listed.id)

    assert post.id == listed.id
    assert post.created is not None and post.created.tzinfo is UTC
    assert post.credential_ids and all(c.startswith("003-") for c in post.credential_ids)
    assert post.total_count == len(post.credential_ids)
    assert post.raw["Id"] == post.id
    assert post.stats is None


def test_post_get_with_stats_reads_the_sibling_stats(client: OktopostClient) -> None:
    sent = sent_post(client)

    post = client.post_get(sent.id, stats=True)

    assert post.stats is not None
    assert post.stats.link_clicks is None or post.stats.link_clicks >= 0
    assert set(post.stats.raw) >= {"LinkClicks", "Conversions", "Likes"}


def test_post_get_of_an_unknown_post_raises_not_found(client: OktopostClient) -> None:
    with pytest.raises(NotFound) as excinfo:
        client.post_get("004999999999999")

    assert excinfo.value.status == 404
    assert excinfo.value.call == "GET /post/{id}"
    assert excinfo.value.messages == {"API": "Post not found"}


def test_post_create_schedules_a_message_on_profiles(client: OktopostClient) -> None:
    template = unsent_post(client)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

    post = client.post_create(
        message_id=template.message_id,
        credential_ids=list(template.credential_ids),
        start_at=start,
        status="draft",
    )

    assert post.id != template.id
    assert post.start_at == start
    assert post.status == "draft"
    assert post.credential_ids == template.credential_ids
    assert client.post_get(post.id).message_id == template.message_id


def test_post_create_reports_each_bad_field(client: OktopostClient) -> None:
    with pytest.raises(PermanentError) as excinfo:
        client.post_create(
            message_id="005999999999999", credential_ids=["003-nope"], status="bogus"
        )

    assert excinfo.value.status == 400
    assert set(excinfo.value.messages) >= {"messageId", "status"}
    assert "messageId" in str(excinfo.value)


def test_post_update_moves_the_start_time(client: OktopostClient) -> None:
    post = unsent_post(client)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5, minutes=7)

    updated = client.post_update(post.id, start_at=start)

    assert updated.start_at == start
    assert client.post_get(post.id).start_at == start


def test_post_delete_removes_an_unsent_post(client: OktopostClient) -> None:
    post = unsent_post(client)

    client.post_delete(post.id)

    with pytest.raises(NotFound):
        client.post_get(post.id)


def test_a_sent_post_cannot_be_changed(client: OktopostClient) -> None:
    sent = sent_post(client)

    with pytest.raises(PermanentError) as excinfo:
        client.post_delete(sent.id)

    assert excinfo.value.status == 400
    assert "sent" in excinfo.value.messages["API"]


def test_message_list_by_campaign(client: OktopostClient) -> None:
    post = client.post_list(count=25).items[0]

    page = client.message_list(campaign_id=post.campaign_id)

    message = {m.id: m for m in page.items}[post.message_id]
    assert message.network == post.network
    assert message.text
    assert {m.campaign_id for m in page.items} == {post.campaign_id}


def test_messages_by_ids_batches_100_ids_per_call(client: OktopostClient, sandbox: Any) -> None:
    message_ids = list(dict.fromkeys(p.message_id for p in every_post(client)))
    assert len(message_ids) > 100, "the sandbox world should hold more than 100 messages"
    wanted = message_ids[:150]
    before = endpoint_calls(sandbox, "GET /message")

    messages = client.messages_by_ids([*wanted, wanted[0]])

    assert {m.id for m in messages} == set(wanted)
    assert endpoint_calls(sandbox, "GET /message") - before == 2


def test_message_list_needs_a_campaign_or_ids(client: OktopostClient) -> None:
    with pytest.raises(ValueError, match="campaign_id or ids"):
        client.message_list()


def test_message_create(client: OktopostClient) -> None:
    campaign = next(client.campaigns_iter())
    credential = client.credential_list()[0]

    created = client.message_create(
        network=credential.network,
        campaign_id=campaign.id,
        text="Hello from the client tests",
        link_url="https://example.com/launch",
        link_title="Launch",
        description="All about it",
    )

    assert created.text == "Hello from the client tests"
    assert created.link_url == "https://example.com/launch"
    assert created.campaign_id == campaign.id
    assert [m.text for m in client.messages_by_ids([created.id])] == [created.text]


def test_campaigns_iter_reads_every_campaign(client: OktopostClient) -> None:
    campaigns = list(client.campaigns_iter())
    page = client.campaign_list(count=25)

    assert len(campaigns) == page.total
    assert [c.id for c in campaigns[: len(page.items)]] == [c.id for c in page.items]
    assert all(c.name for c in campaigns)


def test_credential_list_hides_invalid_profiles_unless_asked(client: OktopostClient) -> None:
    valid = client.credential_list()
    everything = client.credential_list(include_invalid=True)
    twitter = client.credential_list(network="Twitter", include_invalid=True)

    assert all(c.is_valid for c in valid)
    assert len(everything) > len(valid)
    assert {c.network for c in twitter} <= {"Twitter"}


def test_postlog_list_returns_one_delivery_per_profile(client: OktopostClient) -> None:
    sent = sent_post(client)

    logs = client.postlog_list(sent.id)

    assert logs
    assert {log.post_id for log in logs} == {sent.id}
    assert {log.credential_id for log in logs} <= set(sent.credential_ids)
    assert {log.status for log in logs} <= {"success", "failed"}


def test_it_authenticates_with_basic_auth(sandbox: Any) -> None:
    wrong = OktopostClient(
        account_id=sandbox.account_id, api_key="wrong-key", base_url=sandbox.base_url
    )
    from oktopost.errors import AuthError

    with pytest.raises(AuthError) as excinfo:
        wrong.me()

    assert excinfo.value.status == 401
    assert excinfo.value.permanent


def test_it_reuses_one_connection(client: OktopostClient) -> None:
    client.me()
    client.me()

    adapter = client.session.get_adapter(client.base_url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert len(adapter.poolmanager.pools) == 1


def test_calls_counts_every_answer_received_retries_included(
    client: OktopostClient, sandbox: Any
) -> None:
    sandbox.control("POST", "faults", json={"next": ["500", "drop"]})

    client.me()

    # Three attempts reached the sandbox; the dropped one brought no answer back.
    assert endpoint_calls(sandbox, "GET /me") == 3
    assert client.calls == 2
    with pytest.raises(AttributeError):
        client.calls = 0  # type: ignore[misc]


def test_a_client_derived_with_priority_shares_its_parents_call_count(
    client: OktopostClient,
) -> None:
    quick = client.with_priority("interactive", max_wait=0.0)

    client.me()
    quick.me()
    quick.me()

    assert client.calls == quick.calls == 3
    assert client.with_priority("background").calls == 3


def test_with_priority_changes_only_the_priority_and_the_wait(client: OktopostClient) -> None:
    quick = client.with_priority("interactive", max_wait=0.0)
    patient = client.with_priority("interactive")

    assert (quick.priority, quick.max_wait) == ("interactive", 0.0)
    assert (patient.priority, patient.max_wait) == ("interactive", client.max_wait)
    assert client.priority == "background"
    assert vars(quick).keys() == vars(client).keys()
    shared = {name for name, value in vars(client).items() if vars(quick)[name] is value}
    assert shared == vars(client).keys() - {"priority", "max_wait"}
