"""Review links over HTTP against the sandbox: a logged-out reviewer decides post by
post under their name, the decision reaches Oktopost and our audit trail, a double click
decides once, links expire and are revoked (410), never widen their scope, are rate
limited, carry only a CSRF cookie, and viewers cannot make them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
import time_machine
from django.test import Client
from django.utils import timezone

from approvals import views
from approvals.models import ReviewLink
from core.roles import APPROVER
from posts.models import Activity, ApprovalItem, Post
from sharing.tokens import token_hash
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def sandbox_get(sandbox, path: str, **params) -> dict:
    answer = requests.get(sandbox.base_url + path, params=params, auth=sandbox.auth, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def waiting_item() -> ApprovalItem:
    return (
        ApprovalItem.objects.filter(status="pending", step__order=1)
        .select_related("step")
        .order_by("created", "id")
        .first()
    )


def campaign_of(item: ApprovalItem) -> str:
    return Post.objects.get(oktopost_id=item.post_oktopost_id).campaign_id


def make_link(client: Client, query: str, label: str = "Launch, next two weeks") -> str:
    answer = client.post("/approvals/links/", {"label": label, "query": query, "days": "7"})
    assert answer.status_code == 200
    assert not answer.context.get("error"), answer.context.get("error")
    return answer.context["new_url"].split("testserver", 1)[1]


def reviewer_visit(url: str) -> tuple[Client, str]:
    """A logged-out browser: opens the page, keeps its CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert page.status_code == 200, page.content[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return browser, token.group(1)


def decide(browser: Client, csrf: str, url: str, item: ApprovalItem, **fields: str):
    return browser.post(
        url + "decide/",
        {
            "csrfmiddlewaretoken": csrf,
            "item": f"{item.oktopost_id}@{item.step.oktopost_id}",
            **fields,
        },
    )


def test_a_logged_out_reviewers_request_for_changes_reaches_oktopost_and_the_audit(
    mirror, editor_client
) -> None:
    item = waiting_item()
    url = make_link(editor_client, f"campaign={campaign_of(item)}")
    browser, csrf = reviewer_visit(url)

    answer = decide(
        browser, csrf, url, item, action="reject", reviewer="Dana Client", note="Shorter, please."
    )

    assert answer.status_code == 200
    assert "Requested changes" in answer.content.decode()
    notes = sandbox_get(mirror, "/workflow-item-note", id=item.oktopost_id)["Notes"]
    assert [n["Text"] for n in notes] == ["Shorter, please."]
    audit = Activity.objects.get(action="reject", outcome="ok")
    assert audit.user is None and audit.after["reviewer"] == "Dana Client"
    assert "by Dana Client (review link)" in audit.summary
    assert audit.after["review_link"]["label"] == "Launch, next two weeks"
    assert Post.objects.get(oktopost_id=item.post_oktopost_id).approval == "rejected"
    assert set(browser.cookies) <= {"csrftoken"}


def test_the_page_shows_the_scopes_posts_and_sets_only_the_csrf_cookie(
    mirror, editor_client
) -> None:
    item = waiting_item()
    url = make_link(editor_client, f"campaign={campaign_of(item)}")

    page = Client().get(url)

    body = page.content.decode()
    assert page.status_code == 200
    assert f'value="{item.oktopost_id}@{item.step.oktopost_id}"' in body
    assert "Request changes" in body and "<nav" not in body
    assert set(page.cookies) == {"csrftoken"}
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    others = Post.objects.exclude(campaign_id=campaign_of(item)).exclude(approval="")
    assert all(p.approval_item not in body for p in others if p.approval_item)


def test_a_decision_without_the_csrf_token_is_refused(mirror, editor_client) -> None:
    item = waiting_item()
    url = make_link(editor_client, f"campaign={campaign_of(item)}")

    answer = Client(enforce_csrf_checks=True).post(
        url + "decide/",
        {
            "item": f"{item.oktopost_id}@{item.step.oktopost_id}",
            "action": "approve",
            "reviewer": "X",
        },
    )

    assert answer.status_code == 403
    assert not Activity.objects.filter(action="approve").exists()


def test_a_double_click_decides_once(mirror, editor_client) -> None:
    item = waiting_item()
    url = make_link(editor_client, f"campaign={campaign_of(item)}")
    browser, csrf = reviewer_visit(url)

    decide(browser, csrf, url, item, action="approve", reviewer="Dana")
    again = decide(browser, csrf, url, item, action="approve", reviewer="Dana")

    item.refresh_from_db()
    assert "nothing done" in again.content.decode().lower()
    assert item.step.order == 2
    assert Activity.objects.filter(action="approve", outcome="ok").count() == 1
    history = sandbox_get(mirror, "/workflow-item", count=1000, withHistory=1)["Items"]
    mine = next(i for i in history if i["Id"] == item.oktopost_id)
    assert [h["Action"] for h in mine["History"]].count("approved") == 1


def test_a_reviewer_must_give_a_name_and_a_note_to_request_changes(mirror, editor_client) -> None:
    item = waiting_item()
    url = make_link(editor_client, f"campaign={campaign_of(item)}")
    browser, csrf = reviewer_visit(url)

    nameless = decide(browser, csrf, url, item, action="approve", reviewer="  ")
    noteless = decide(browser, csrf, url, item, action="reject", reviewer="Dana")

    assert "Give your name" in nameless.content.decode()
    assert "a rejection needs a note" in noteless.content.decode()
    assert not Activity.objects.filter(outcome="ok").exists()


def test_a_post_outside_the_links_scope_cannot_be_decided(mirror, editor_client) -> None:
    item = waiting_item()
    other = (
        ApprovalItem.objects.filter(status="pending")
        .exclude(
            post_oktopost_id__in=Post.objects.filter(campaign_id=campaign_of(item)).values(
                "oktopost_id"
            )
        )
        .select_related("step")
        .first()
    )
    url = make_link(editor_client, f"campaign={campaign_of(item)}")
    browser, csrf = reviewer_visit(url)

    answer = decide(browser, csrf, url, other, action="approve", reviewer="Dana")
    widened = Client().get(url + "?campaign=&approval=")

    assert "not part of this review" in answer.content.decode()
    assert not Activity.objects.filter(action="approve").exists()
    assert other.oktopost_id not in widened.content.decode()


def test_expired_and_revoked_links_answer_410(mirror, editor_client) -> None:
    item = waiting_item()
    url = make_link(editor_client, f"campaign={campaign_of(item)}")
    browser, csrf = reviewer_visit(url)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        expired = Client().get(url)
        expired_post = decide(browser, csrf, url, item, action="approve", reviewer="Dana")
    link = ReviewLink.objects.get()
    editor_client.post(f"/approvals/links/{link.id}/revoke/")
    revoked = Client().get(url)
    revoked_post = decide(browser, csrf, url, item, action="approve", reviewer="Dana")

    assert expired.status_code == 410 and expired_post.status_code == 410
    assert revoked.status_code == 410 and revoked_post.status_code == 410
    assert not Activity.objects.filter(action="approve").exists()


def test_a_link_whose_scope_would_widen_answers_410(mirror, editor_client) -> None:
    item = waiting_item()
    url = make_link(editor_client, f"campaign={campaign_of(item)}")
    ReviewLink.objects.update(query="campaign=002gone")

    assert Client().get(url).status_code == 410


def test_unknown_parameters_are_refused_in_words(mirror, editor_client) -> None:
    answer = editor_client.post(
        "/approvals/links/", {"label": "x", "query": "campagin=1", "days": "7"}
    )

    assert "not something the queue can filter by" in answer.context["error"]
    assert not ReviewLink.objects.exists()


def test_a_viewer_cannot_make_or_revoke_one(mirror, viewer_client, editor_client) -> None:
    url = make_link(editor_client, "")
    link = ReviewLink.objects.get()

    assert viewer_client.get("/approvals/links/").status_code == 403
    made = viewer_client.post("/approvals/links/", {"label": "x", "query": "", "days": "7"})
    revoke = viewer_client.post(f"/approvals/links/{link.id}/revoke/")

    assert made.status_code == 403 and revoke.status_code == 403
    assert ReviewLink.objects.count() == 1 and Client().get(url).status_code == 200


def test_an_approver_makes_one_and_it_stops_with_the_role(mirror) -> None:
    approver = make_user("april", APPROVER)
    client = Client()
    client.force_login(approver)
    url = make_link(client, "approval=waiting")

    assert Client().get(url).status_code == 200
    approver.groups.clear()
    assert Client().get(url).status_code == 410


def test_only_the_tokens_hash_is_stored(mirror, editor_client) -> None:
    url = make_link(editor_client, "")
    token = url.strip("/").split("/")[-1]

    assert ReviewLink.objects.get().token_hash == token_hash(token)
    assert Client().get(f"/r/{token[:-1]}x/").status_code == 404


def test_review_pages_are_rate_limited_per_address(mirror, editor_client, monkeypatch) -> None:
    monkeypatch.setattr(views, "REVIEW_RATE_PER_MINUTE", 3)
    url = make_link(editor_client, "")

    answers = [Client().get(url).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
