"""Issue 28 against the sandbox over HTTP: per-profile outcomes in words, retry only
what failed, duplicate, edit a shared message, created by."""

from datetime import timedelta

import pytest
from django.utils import timezone

from posts import services, sync
from posts.connection import get_client
from posts.failures import explain
from posts.models import Activity, Message, Post, PostLink, Profile
from posts.services import edit as edit_services
from posts.services import retry as retry_services
from tests.fix_helpers import read_back

pytestmark = pytest.mark.django_db

TOO_LONG = "ERROR :: /commentary :: is too long"


def linkedin_profiles() -> list[Profile]:
    profiles = list(Profile.objects.filter(network="LinkedIn", status="valid").order_by("name"))
    assert len(profiles) == 3
    return profiles


def new_post(editor, *, profiles: list[Profile], text: str = "Our quarterly report is out") -> Post:
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    message = services.message_create(
        user=editor, network="LinkedIn", campaign_id=campaign_id, text=text
    )
    return services.post_create(
        user=editor,
        message_id=message.oktopost_id,
        profile_ids=[p.oktopost_id for p in profiles],
        start_at=timezone.now() + timedelta(days=1),
    )


def send(sandbox, post: Post, errors: dict[str, str] | None = None) -> Post:
    sandbox.control("POST", f"posts/{post.oktopost_id}/send", {"errors": errors or {}})
    sync.posts_sync()
    # The sync reads postlogs only while the background budget allows (never waiting):
    # read them as an editor's page would, so a busy minute cannot hide them.
    read_back(get_client(priority="interactive"), [post])
    return Post.objects.get(id=post.id)


def test_a_post_to_three_profiles_with_one_failure_shows_two_of_three_sent_in_words(
    mirror, editor, editor_client
) -> None:
    profiles = linkedin_profiles()
    post = send(mirror, new_post(editor, profiles=profiles), {profiles[2].oktopost_id: TOO_LONG})
    assert post.status == "incomplete"

    page = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert "2 of 3 sent" in page
    assert f"LinkedIn ({profiles[2].label}) failed: the text is too long for LinkedIn" in page
    assert "Shorten the text" in page
    assert TOO_LONG in page  # the raw text, one click away
    assert "<details" in page

    queue = editor_client.get("/posts/?sort=-created").content.decode()
    assert "2 of 3 sent · LinkedIn" in queue
    assert "Retry…" in queue


def test_a_disconnected_profile_is_explained_with_reconnect(mirror, editor, editor_client) -> None:
    profiles = linkedin_profiles()
    post = new_post(editor, profiles=profiles)
    mirror.control("POST", f"credentials/{profiles[0].oktopost_id}", {"Status": "invalid"})
    post = send(mirror, post)
    page = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert "2 of 3 sent" in page
    assert "connection to LinkedIn has expired or was revoked" in page
    assert "Reconnect the profile in Oktopost" in page


def test_an_unknown_error_shows_the_raw_text() -> None:
    said = explain("Something odd (#9999)", network="LinkedIn")
    assert not said.known
    assert said.words == "Something odd (#9999)"
    assert said.action == ""


def test_text_too_long_says_by_how_much() -> None:
    said = explain(TOO_LONG, network="LinkedIn", profile="Acme", text_length=3214)
    assert said.words == "the text is too long for LinkedIn (3,214 of 3,000 characters)"


def test_a_failed_posts_counters_do_not_read_not_yet(mirror, editor, editor_client) -> None:
    profiles = linkedin_profiles()
    errors = {p.oktopost_id: TOO_LONG for p in profiles}
    post = send(mirror, new_post(editor, profiles=profiles), errors)
    assert post.status == "error"
    queue = editor_client.get("/posts/?sort=-created").content.decode()
    row = queue[queue.index(f'id="post-{post.oktopost_id}"') :]
    row = row[: row.index("</tr>")]
    assert "not yet" not in row
    assert "failed: nothing to count" in row
    assert "Not sent to any of its 3 profiles" in row


def test_retry_creates_exactly_one_post_to_the_failed_profile(
    mirror, editor, editor_client
) -> None:
    profiles = linkedin_profiles()
    failed = profiles[1]
    post = send(mirror, new_post(editor, profiles=profiles), {failed.oktopost_id: TOO_LONG})
    before = mirror.calls()["by_endpoint"].get("POST /post", 0)
    form = editor_client.get(f"/posts/{post.oktopost_id}/retry/")
    assert form.status_code == 200
    key = form.context["form"]["submit_key"].value()
    data = {"at": "now", "submit_key": key}
    first = editor_client.post(f"/posts/{post.oktopost_id}/retry/", data)
    again = editor_client.post(f"/posts/{post.oktopost_id}/retry/", data)  # a double click
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]

    assert mirror.calls()["by_endpoint"].get("POST /post", 0) == before + 1
    link = PostLink.objects.get(kind="retry", source=post.oktopost_id)
    made = Post.objects.get(oktopost_id=link.target)
    assert made.credential_ids == [failed.oktopost_id]
    assert made.message_id == post.message_id
    # Oktopost's "+1 minute" default: no time was sent.
    sent = [c for c in mirror.calls()["recent"] if c.get("endpoint") == "POST /post"]
    assert sent
    assert abs((made.start_at - timezone.now()).total_seconds() - 60) < 30
    assert "Retried as" in editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert "Retry of" in editor_client.get(f"/posts/{made.oktopost_id}/").content.decode()
    # A second retry with a new key is refused: it was already retried.
    with pytest.raises(services.ServiceError, match="already retried"):
        retry_services.post_retry(user=editor, post=post, submit_key="other", start_at=None)


def test_retry_is_refused_in_words_while_the_profile_is_disconnected(mirror, editor) -> None:
    profiles = linkedin_profiles()
    post = new_post(editor, profiles=profiles)
    mirror.control("POST", f"credentials/{profiles[0].oktopost_id}", {"Status": "invalid"})
    post = send(mirror, post)
    sync.catalog_sync(force=True)
    before = mirror.calls()["by_endpoint"].get("POST /post", 0)
    with pytest.raises(services.ServiceError, match="still disconnected in Oktopost"):
        retry_services.post_retry(user=editor, post=post, submit_key="k1", start_at=None)
    assert mirror.calls()["by_endpoint"].get("POST /post", 0) == before

    mirror.control("POST", f"credentials/{profiles[0].oktopost_id}", {"Status": "valid"})
    sync.catalog_sync(force=True)
    made, created = retry_services.post_retry(
        user=editor, post=post, submit_key="k2", start_at=timezone.now() + timedelta(hours=2)
    )
    assert created and made.credential_ids == [profiles[0].oktopost_id]
    assert Activity.objects.filter(action="retry", post_oktopost_id=post.oktopost_id).exists()


def test_duplicate_opens_compose_prefilled(mirror, editor, editor_client) -> None:
    profiles = linkedin_profiles()[:2]
    post = send(mirror, new_post(editor, profiles=profiles, text="Duplicate me please"))
    page = editor_client.get(f"/posts/{post.oktopost_id}/duplicate/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["text"].value() == "Duplicate me please"
    assert sorted(form["profiles"].value()) == sorted(p.oktopost_id for p in profiles)
    assert form["campaign"].value() == post.campaign_id
    assert "Duplicate me please" in page.content.decode()


def shared_message_posts(editor, profiles) -> tuple[Post, Post]:
    first = new_post(editor, profiles=profiles[:1], text="Shared words")
    second = services.post_create(
        user=editor,
        message_id=first.message_id,
        profile_ids=[profiles[1].oktopost_id],
        start_at=timezone.now() + timedelta(days=2),
    )
    return first, second


def test_editing_a_shared_message_offers_both_choices(mirror, editor, editor_client) -> None:
    first, second = shared_message_posts(editor, linkedin_profiles())
    page = editor_client.get(f"/posts/{first.oktopost_id}/edit/").content.decode()
    assert "This post only" in page
    assert "Every unsent post of this message" in page
    assert second.oktopost_id in page  # the other posts are listed first


def test_this_post_only_gets_a_new_message_in_oktopost(mirror, editor, editor_client) -> None:
    first, second = shared_message_posts(editor, linkedin_profiles())
    old_message = first.message_id
    response = editor_client.post(
        f"/posts/{first.oktopost_id}/edit/",
        {
            "text": "New words for one post",
            "scope": "post",
            "expected_modified": first.modified.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = services.common.interactive_client()
    now_first = client.post_get(first.oktopost_id)
    now_second = client.post_get(second.oktopost_id)
    assert now_first.message_id != old_message
    assert now_second.message_id == old_message
    assert client.message_get(now_first.message_id).text == "New words for one post"
    assert client.message_get(old_message).text == "Shared words"
    entry = Activity.objects.filter(action="edit", post_oktopost_id=first.oktopost_id).get()
    assert entry.before["text"] == "Shared words"
    assert entry.after["text"] == "New words for one post"


def test_every_unsent_post_changes_the_message_itself(mirror, editor) -> None:
    first, second = shared_message_posts(editor, linkedin_profiles())
    result = edit_services.post_message_edit(
        user=editor,
        post=first,
        scope="all",
        expected_modified=first.modified,
        text="New words for both",
    )
    assert sorted(result.changed) == sorted([first.oktopost_id, second.oktopost_id])
    client = services.common.interactive_client()
    assert client.post_get(second.oktopost_id).message_id == first.message_id
    assert client.message_get(first.message_id).text == "New words for both"
    assert Message.objects.get(oktopost_id=first.message_id).text == "New words for both"


def test_a_sent_post_is_never_edited(mirror, editor) -> None:
    post = send(mirror, new_post(editor, profiles=linkedin_profiles()[:1]))
    with pytest.raises(services.ServiceError, match="never changed"):
        edit_services.post_message_edit(
            user=editor, post=post, scope="post", expected_modified=post.modified, text="x"
        )


def test_an_edit_after_a_change_in_oktopost_is_refused(mirror, editor) -> None:
    post = new_post(editor, profiles=linkedin_profiles()[:1])
    later = post.start_at + timedelta(hours=5)
    mirror.control("POST", "clock", {"advance_seconds": 2})  # Modified has whole seconds
    mirror.control(
        "POST", f"posts/{post.oktopost_id}", {"StartDateTime": later.strftime("%Y-%m-%d %H:%M:%S")}
    )
    with pytest.raises(services.ChangedMeanwhile):
        edit_services.post_message_edit(
            user=editor, post=post, scope="post", expected_modified=post.modified, text="x y"
        )


def test_created_by_names_our_user(mirror, editor, editor_client) -> None:
    post = new_post(editor, profiles=linkedin_profiles()[:1])
    page = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert f"by {editor.username}, through the API as" in page


def test_a_stuck_post_gets_post_now_and_cancel_in_needs_attention(
    mirror, editor, editor_client
) -> None:
    post = new_post(editor, profiles=linkedin_profiles()[:1])
    mirror.control("POST", f"posts/{post.oktopost_id}", {"Stuck": True})
    past = timezone.now() - timedelta(hours=2)
    mirror.control(
        "POST",
        f"posts/{post.oktopost_id}",
        {"StartDateTime": past.strftime("%Y-%m-%d %H:%M:%S")},
    )
    sync.posts_sync()
    post = Post.objects.get(id=post.id)
    assert post.is_stuck
    page = editor_client.get("/posts/?preset=attention").content.decode()
    assert f"Post {post.oktopost_id} now" in page
    assert f"Cancel post {post.oktopost_id}" in page
    response = editor_client.post(
        f"/posts/{post.oktopost_id}/post-now/",
        {"expected_modified": post.modified.isoformat(), "back": "/posts/?preset=attention"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/posts/?preset=attention"
    moved = services.common.interactive_client().post_get(post.oktopost_id).start_at
    assert 0 < (moved - timezone.now()).total_seconds() <= 90
