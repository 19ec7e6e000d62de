"""Approvals end to end over HTTP against the sandbox: the mirror knows every post's
place, the page groups what waits by step, decisions move posts step by step and go out
only after the last approval, rejections need a note and reach Oktopost's notes, the
queue filters by approval, a waiting post is never stuck, and the roles hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone

from accounts.models import User
from core.roles import APPROVER
from posts.models import Activity, ApprovalItem, Post
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(db) -> User:
    return make_user("april", APPROVER)


@pytest.fixture
def approver_client(approver: User) -> Client:
    client = Client()
    client.force_login(approver)
    return client


def sandbox_get(sandbox, path: str, **params) -> dict:
    answer = requests.get(sandbox.base_url + path, params=params, auth=sandbox.auth, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def waiting_item(step_order: int = 1) -> ApprovalItem:
    return (
        ApprovalItem.objects.filter(status="pending", step__order=step_order)
        .select_related("step", "workflow")
        .order_by("created", "id")
        .first()
    )


@pytest.mark.real_sync  # counts the sync's own calls
def test_the_sync_gives_every_post_its_approval_state_with_list_calls_only(mirror) -> None:
    calls = mirror.calls()["by_endpoint"]
    items = sandbox_get(mirror, "/workflow-item", count=1000)["Items"]

    held = {i["EntityId"] for i in items if i["Status"] == "pending"}
    waiting = set(Post.objects.filter(approval="waiting").values_list("oktopost_id", flat=True))
    assert waiting == held
    assert Post.objects.filter(approval="rejected").exists()
    post = Post.objects.filter(approval="waiting", approval_step=2).first()
    assert post.approval_label.startswith("Awaiting approval · step 2 of ")
    assert "GET /workflow-item/{id}" not in calls
    assert calls["GET /workflow-item"] == 1


def test_the_page_groups_what_waits_by_step_oldest_first(mirror, approver_client) -> None:
    answer = approver_client.get("/approvals/")

    assert answer.status_code == 200
    assert "Brand and legal review · step 2 of 3 · Legal" in answer.content.decode()
    assert "Quick check · step 1 of 2 · Editor" in answer.content.decode()
    assert "Approve" in answer.content.decode()


def test_the_nav_shows_the_count(mirror, viewer_client) -> None:
    count = ApprovalItem.objects.filter(status="pending").count()

    answer = viewer_client.get("/approvals/")

    assert f'aria-label="{count} waiting"' in answer.content.decode()
    assert "Approve selected" not in answer.content.decode()  # a viewer only looks


def test_approvals_move_the_post_step_by_step_until_it_goes_out(
    mirror, approver_client, approver
) -> None:
    item = ApprovalItem.objects.filter(status="pending", workflow__name="Quick check").first()
    post_id = item.post_oktopost_id
    mirror.control(
        "POST", f"posts/{post_id}", {"StartDateTime": int(timezone.now().timestamp()) - 60}
    )

    first = approver_client.post(
        "/approvals/decide/",
        {"item": f"{item.oktopost_id}@{item.step.oktopost_id}", "action": "approve"},
        HTTP_HX_REQUEST="true",
    )
    middle = sandbox_get(mirror, f"/post/{post_id}")["Post"]["Status"]
    item.refresh_from_db()
    if item.status == "pending":
        approver_client.post(
            "/approvals/decide/",
            {"item": f"{item.oktopost_id}@{item.step.oktopost_id}", "action": "approve"},
        )
    sent = sandbox_get(mirror, f"/post/{post_id}")["Post"]["Status"]

    assert first.status_code == 200
    assert middle in ("pending", "inqueue") or item.status == "approved"
    assert sent in ("complete", "incomplete", "error")
    assert Activity.objects.filter(
        action="approve", user=approver, post_oktopost_id=post_id
    ).exists()


def test_a_double_click_decides_once(mirror, approver_client) -> None:
    item = waiting_item(1)

    approver_client.post(
        "/approvals/decide/",
        {"item": f"{item.oktopost_id}@{item.step.oktopost_id}", "action": "approve"},
    )
    again = approver_client.post(
        "/approvals/decide/",
        {"item": f"{item.oktopost_id}@{item.step.oktopost_id}", "action": "approve"},
        HTTP_HX_REQUEST="true",
    )

    item.refresh_from_db()
    assert item.step.order == 2
    assert "nothing done" in again.content.decode().lower()
    assert Activity.objects.filter(action="approve", outcome="ok").count() == 1


def test_a_rejection_needs_a_note_and_lands_in_oktopost(mirror, approver_client) -> None:
    item = waiting_item(2)

    refused = approver_client.post(
        "/approvals/decide/",
        {"item": f"{item.oktopost_id}@{item.step.oktopost_id}", "action": "reject"},
        HTTP_HX_REQUEST="true",
    )
    approver_client.post(
        "/approvals/decide/",
        {
            "item": f"{item.oktopost_id}@{item.step.oktopost_id}",
            "action": "reject",
            "note": "Use the new logo.",
        },
    )

    notes = sandbox_get(mirror, "/workflow-item-note", id=item.oktopost_id)["Notes"]
    post = Post.objects.get(oktopost_id=item.post_oktopost_id)
    assert "a rejection needs a note" in refused.content.decode()
    assert [n["Text"] for n in notes] == ["Use the new logo."]
    assert sandbox_get(mirror, f"/post/{post.oktopost_id}")["Post"]["Status"] == "draft"
    assert post.approval == "rejected"


def test_a_viewer_cannot_decide(mirror, viewer_client) -> None:
    item = waiting_item(1)

    answer = viewer_client.post(
        "/approvals/decide/",
        {"item": f"{item.oktopost_id}@{item.step.oktopost_id}", "action": "approve"},
    )

    assert answer.status_code == 403


def test_an_approver_cannot_change_posts(approver_client) -> None:
    assert approver_client.get("/posts/new/").status_code == 403
    assert approver_client.get("/posts/").status_code == 200


def test_the_queue_filters_by_approval_and_says_where_a_post_waits(mirror, editor_client) -> None:
    waiting = editor_client.get("/posts/?approval=waiting&size=100").content.decode()
    bad = editor_client.get("/posts/?approval=maybe").content.decode()

    assert "Awaiting approval · step" in waiting
    count = Post.objects.filter(approval="waiting").count()
    assert waiting.count("Awaiting approval · step") == count
    assert "Ignored approval" in bad


def test_a_post_awaiting_approval_is_never_stuck(mirror) -> None:
    post = Post.objects.filter(approval="waiting").first()
    Post.objects.filter(pk=post.pk).update(start_at=timezone.now() - timedelta(hours=5))
    post.refresh_from_db()

    from alerts.selectors import posts_gone_wrong

    assert not post.is_stuck
    assert post.status_key == "approval"
    assert post not in [p for _, p in posts_gone_wrong(timezone.now())]


def test_compose_sends_a_post_for_approval(mirror, editor_client) -> None:
    from posts.models import Message, Profile

    profile = Profile.objects.filter(network="LinkedIn", status="valid").first()
    when = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = editor_client.get("/posts/new/").content.decode()
    campaign = Message.objects.filter(network="LinkedIn").first().campaign.oktopost_id
    import re

    key = re.search(r'name="submit_key" value="([^"]+)"', form).group(1)
    answer = editor_client.post(
        "/posts/new/",
        {
            "source": "new",
            "network": "LinkedIn",
            "campaign": campaign,
            "text": "Approvals test post",
            "profiles": [profile.oktopost_id],
            "when": when,
            "status": "pending",
            "workflow": "cwf000000000001",
            "submit_key": key,
        },
    )

    post = Post.objects.filter(message__text="Approvals test post").first()
    assert answer.status_code in (200, 302), answer.content.decode()[:2000]
    assert post is not None
    assert post.approval == "waiting" and post.approval_step == 1
    assert post.approval_item
    items = sandbox_get(mirror, "/workflow-item", count=1000)["Items"]
    assert post.oktopost_id in {i["EntityId"] for i in items}


def test_the_queue_filter_form_offers_the_approval_states(editor_client) -> None:
    from html.parser import HTMLParser

    class Options(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.options = False, []

        def handle_starttag(self, tag, attrs) -> None:
            attrs = dict(attrs)
            if tag == "select":
                self.inside = attrs.get("name") == "approval"
            elif tag == "option" and self.inside:
                self.options.append((attrs["value"], "selected" in attrs))

    parser = Options()
    parser.feed(editor_client.get("/posts/?approval=rejected").content.decode())

    assert parser.options == [
        ("", False),
        ("waiting", False),
        ("rejected", True),
        ("approved", False),
    ]
