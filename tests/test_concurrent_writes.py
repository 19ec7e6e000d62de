"""Writes racing each other: two editors on one post, double submits, resubmits.

Each request runs in its own thread with its own database connection, through the whole
Django stack, against the sandbox over HTTP; a barrier releases them together.
"""

import secrets
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from posts.models import Activity, Message, Post, Profile
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def together(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as exc:  # shown by the assertion on the results
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def two_editors(db) -> tuple[Client, Client]:
    clients = []
    for name in ("edith", "eddie"):
        client = Client()
        client.force_login(make_user(name, "editor"))
        clients.append(client)
    return clients[0], clients[1]


def test_two_editors_rescheduling_one_post_at_once_one_is_told_it_changed(
    mirror, two_editors
) -> None:
    """Before: in 3 of 4 pairs both were told "Rescheduled." and one change was lost."""
    first, second = two_editors
    posts = list(Post.objects.filter(status="pending", start_at__gt=timezone.now())[:4])
    for post in posts:
        times = [post.start_at + timedelta(hours=h) for h in (3, 5)]

        def move(client: Client, when, post=post):
            return client.post(
                f"/posts/{post.oktopost_id}/reschedule/",
                {
                    "when": local(when),
                    "expected_modified": post.modified.isoformat(),
                    "from": "row",
                },
                headers={"HX-Request": "true"},
            ).content.decode()

        answers = together(lambda t=times: move(first, t[0]), lambda t=times: move(second, t[1]))
        assert all(isinstance(a, str) for a in answers), answers
        done = [a for a in answers if "Rescheduled." in a]
        refused = [a for a in answers if "changed in Oktopost while you were editing" in a]
        assert (len(done), len(refused)) == (1, 1), post.oktopost_id
        ok = Activity.objects.filter(post_oktopost_id=post.oktopost_id, outcome="ok")
        assert ok.count() == 1
        # The mirror holds the change the winner was told about.
        winner = times[0] if "Rescheduled." in answers[0] else times[1]
        saved = Post.objects.get(id=post.id).start_at
        assert saved == winner.replace(second=0, microsecond=0)


def create_form(**overrides) -> dict:
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    profiles = list(Profile.objects.filter(network="LinkedIn", status="valid")[:2])
    return {
        "source": "new",
        "network": "LinkedIn",
        "campaign": campaign_id,
        "text": "Double click, single post",
        "profiles": [p.oktopost_id for p in profiles],
        "when": local(timezone.now() + timedelta(days=4)),
        "status": "pending",
        "submit_key": secrets.token_urlsafe(12),
        **overrides,
    }


def test_a_double_submit_creates_one_post_and_both_answers_name_it(
    mirror, editor_client: Client
) -> None:
    """Before: two simultaneous identical POSTs made two messages and two posts."""
    form = create_form()
    answers = together(
        *[lambda: editor_client.post("/posts/new/", form, follow=True) for _ in range(2)]
    )
    created = Post.objects.filter(message__text=form["text"])
    assert created.count() == 1
    assert Message.objects.filter(text=form["text"]).count() == 1
    post = created.get()
    for answer in answers:
        assert f"post {post.oktopost_id}" in answer.content.decode()


def test_five_submits_and_a_resubmit_still_make_one_post(mirror, editor_client: Client) -> None:
    form = create_form(text="Five clicks and a reload")
    together(*[lambda: editor_client.post("/posts/new/", form) for _ in range(5)])
    again = editor_client.post("/posts/new/", form, follow=True)
    assert "This form was already submitted" in again.content.decode()
    assert Post.objects.filter(message__text=form["text"]).count() == 1
    creates = Activity.objects.filter(action="create", outcome="ok")
    assert creates.count() == 1


def test_an_identical_post_asks_for_confirmation_first(mirror, editor_client: Client) -> None:
    form = create_form(text="Same message, same profiles, same time")
    editor_client.post("/posts/new/", form)
    second = create_form(text=form["text"], profiles=form["profiles"], when=form["when"])
    asked = editor_client.post("/posts/new/", second)
    assert "already sends this message to these profiles at this time" in asked.content.decode()
    assert Post.objects.filter(message__text=form["text"]).count() == 1
    confirmed = editor_client.post("/posts/new/", {**second, "confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Post.objects.filter(message__text=form["text"]).count() == 2
