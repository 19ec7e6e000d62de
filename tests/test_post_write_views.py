"""The write pages: create form validation, reschedule, cancel, bulk, roles and CSRF."""

import inspect
import secrets
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from oktodash.celery import app
from oktopost.client import OktopostClient
from posts import (
    forms,
    services,
    tasks,  # noqa: F401  (eager_tasks runs them here: they must be loaded)
)
from posts.models import Activity, BulkAction, Message, Post, Profile
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = app.conf.task_eager_propagates = False


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


WRITE_URLS = [
    ("post", "/posts/new/"),
    ("get", "/posts/new/"),
    ("get", "/posts/new/checks/"),
    ("post", "/posts/bulk/"),
    ("post", "/posts/{id}/reschedule/"),
    ("post", "/posts/{id}/profiles/"),
    ("get", "/posts/{id}/cancel/"),
    ("post", "/posts/{id}/cancel/"),
]


@pytest.mark.parametrize(("method", "url"), WRITE_URLS)
def test_viewers_get_403_on_every_write_url(viewer_client: Client, method: str, url: str) -> None:
    post = f.post(status="pending")
    response = getattr(viewer_client, method)(url.format(id=post.oktopost_id))
    assert response.status_code == 403
    assert Post.objects.get(id=post.id).deleted_at is None


@pytest.mark.parametrize(("method", "url"), [u for u in WRITE_URLS if u[0] == "post"])
def test_every_write_needs_the_csrf_token(editor, method: str, url: str) -> None:
    post = f.post(status="pending")
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(url.format(id=post.oktopost_id)).status_code == 403


def test_the_create_form_offers_profiles_grouped_with_invalid_ones_disabled(
    editor_client: Client,
) -> None:
    f.profile("LinkedIn", "Good page")
    f.profile("Twitter", "Broken handle", status="invalid")
    html = editor_client.get("/posts/new/").content.decode()
    assert "Good page" in html
    assert "needs reconnecting in Oktopost" in html
    assert html.count(" disabled") >= 1


def base_form(**overrides) -> dict:
    return {
        "source": "new",
        "network": "LinkedIn",
        "campaign": "",
        "text": "Hello",
        "profiles": [],
        "when": local(timezone.now() + timedelta(days=1)),
        "status": "pending",
        "submit_key": secrets.token_urlsafe(12),
        **overrides,
    }


TWO_HOURS_AGO = object()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"text": ""}, "text", "Write the message text"),
        ({"network": "Twitter", "text": "x" * 281}, "text", "Too long for Twitter: 281 characters"),
        (
            {
                "network": "Twitter",
                "text": "y" * 250 + " https://example.com/a/very/long/url/indeed",
            },
            "text",
            None,
        ),
        ({"network": "LinkedIn", "text": "z" * 3001}, "text", "limit is 3000"),
        ({"network": "Instagram", "text": "z" * 2201}, "text", "limit is 2200"),
        ({"network": "YouTube", "title": ""}, "title", "YouTube posts need a video title"),
        ({"network": ""}, "network", "Pick the network"),
        ({"campaign": ""}, "campaign", "Pick a campaign"),
        ({"when": "tomorrow-ish"}, "when", "Enter the time as a date and a time"),
        pytest.param(
            {"when": TWO_HOURS_AGO}, "when", "That time is in the past", marks=pytest.mark.dates
        ),
        ({"when": ""}, "when", "Pick a time"),
        ({"status": "complete"}, "status", "Select a valid choice"),
        ({"link_url": "not a url at all"}, "link_url", "Enter a valid URL"),
        ({"link_title": "Our launch"}, "link_title", "needs the link's address"),
        ({"image_url": "ftp://example.com/a.png"}, "image_url", "https:// address"),
        ({"profiles": ["003-001000000000001-99999999"]}, "profiles", "Select a valid choice"),
        (
            {"source": "existing", "message": "005999999999999"},
            "message",
            "Pick one of the existing messages",
        ),
    ],
)
def test_create_form_validation(editor_client: Client, overrides, field, words) -> None:
    camp = f.campaign()
    if overrides.get("when") is TWO_HOURS_AGO:  # read when the test runs, not when collected
        overrides = overrides | {"when": local(timezone.now() - timedelta(hours=2))}
    data = base_form(campaign=camp.oktopost_id) | overrides
    if "campaign" in overrides:
        data["campaign"] = overrides["campaign"]
    response = editor_client.post("/posts/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    if words is None:
        assert field not in errors  # a long link counts as 23 characters on X
    else:
        assert words in " ".join(errors.get(field, [])), errors


def test_a_valid_create_form_gives_the_compose_service_every_argument_but_the_user(
    editor,
) -> None:
    camp = f.campaign()
    page = f.profile("LinkedIn", "Acme page")
    data = base_form(
        campaign=camp.oktopost_id,
        profiles=[page.oktopost_id],
        link_url="https://example.com/a",
        first_comment_text="First!",
    )
    form = forms.PostCreateForm(data, zone=editor.zone, user=editor)
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert {"user", *kwargs} == set(inspect.signature(services.post_compose).parameters)
    assert kwargs["profile_ids"] == [page.oktopost_id]
    assert kwargs["campaign_id"] == camp.oktopost_id
    assert kwargs["link_url"] == "https://example.com/a"
    assert kwargs["first_comment"].text == "First!"
    assert kwargs["message"] is None


def test_profiles_must_match_the_messages_network(editor_client: Client) -> None:
    camp = f.campaign()
    twitter = f.profile("Twitter", "Acme X")
    response = editor_client.post(
        "/posts/new/", base_form(campaign=camp.oktopost_id, profiles=[twitter.oktopost_id])
    )
    assert "is a Twitter profile; the message is for LinkedIn" in " ".join(
        response.context["form"].errors["profiles"]
    )


def test_a_time_that_does_not_exist_in_the_editors_zone_is_refused(
    editor, editor_client: Client
) -> None:
    editor.time_zone = "Europe/Berlin"
    editor.save()
    camp = f.campaign()
    # Clocks go forward at 02:00 on the last Sunday of March: 02:30 never happens there.
    march_31 = date(timezone.now().year + 1, 3, 31)
    gap_day = march_31 - timedelta(days=(march_31.weekday() + 1) % 7)
    response = editor_client.post(
        "/posts/new/", base_form(campaign=camp.oktopost_id, when=f"{gap_day}T02:30")
    )
    assert "does not exist" in " ".join(response.context["form"].errors["when"])


def test_live_checks_count_characters_and_warn(editor_client: Client) -> None:
    response = editor_client.get(
        "/posts/new/checks/",
        {
            "network": "Twitter",
            "text": "Read https://example.com/" + "a" * 80,
            "link_url": "",
            "when": local(timezone.now() - timedelta(hours=1)),
        },
    )
    html = response.content.decode()
    assert "Twitter: 252 characters left (28 of 280)" in html
    assert "That time is in the past" in html
    assert "UTC" in html


def test_live_checks_warn_about_the_same_message_to_the_same_profile(editor_client: Client) -> None:
    profile = f.profile()
    msg = f.message()
    soon = timezone.now() + timedelta(days=1)
    f.post(status="pending", start_at=soon + timedelta(hours=1), profiles=[profile], msg=msg)
    response = editor_client.get(
        "/posts/new/checks/",
        {
            "source": "existing",
            "message": msg.oktopost_id,
            "profiles": profile.oktopost_id,
            "when": local(soon),
        },
    )
    assert "This message already goes to one of these profiles" in response.content.decode()


def test_creating_through_the_form_schedules_in_oktopost_and_shows_it(
    mirror, editor_client: Client
) -> None:
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    profiles = list(Profile.objects.filter(network="LinkedIn", status="valid")[:2])
    when = timezone.now() + timedelta(days=3)
    response = editor_client.post(
        "/posts/new/",
        base_form(
            campaign=campaign_id,
            text="Our new feature is live",
            profiles=[p.oktopost_id for p in profiles],
            when=local(when),
        ),
        follow=True,
    )
    assert response.status_code == 200
    post = Post.objects.get(message__text="Our new feature is live")
    page = response.content.decode()
    assert "Scheduled: LinkedIn post “" in page
    assert post.oktopost_id not in page.split('id="messages"')[1].split("</")[0]
    assert post.oktopost_id in [r.post.oktopost_id for r in response.context["page"].rows]


def test_the_link_card_reaches_oktopost_and_the_mirror(mirror, editor_client: Client) -> None:
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    profile = Profile.objects.filter(network="LinkedIn", status="valid").first()
    editor_client.post(
        "/posts/new/",
        base_form(
            campaign=campaign_id,
            text="Read about the launch",
            link_url="https://example.com/launch",
            link_title="The launch, in five minutes",
            description="What changed and why",
            image_url="https://example.com/launch.png",
            profiles=[profile.oktopost_id],
        ),
    )
    message = Message.objects.get(text="Read about the launch")
    client = OktopostClient(
        account_id=mirror.account_id, api_key=mirror.api_key, base_url=mirror.base_url
    )
    remote = client.message_list(ids=[message.oktopost_id]).items[0]
    assert (remote.link_title, remote.description, remote.image_url) == (
        "The launch, in five minutes",
        "What changed and why",
        "https://example.com/launch.png",
    )
    assert (message.link_title, message.description, message.image_url) == (
        "The launch, in five minutes",
        "What changed and why",
        "https://example.com/launch.png",
    )


def test_oktopost_errors_appear_in_the_form(mirror, editor_client: Client) -> None:
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    profile = Profile.objects.filter(network="LinkedIn", status="valid").first()
    mirror.control("POST", "block", {"seconds": 30})
    response = editor_client.post(
        "/posts/new/",
        base_form(campaign=campaign_id, profiles=[profile.oktopost_id]),
    )
    assert response.status_code == 200
    assert "limiting our API calls" in response.content.decode()
    assert not Message.objects.filter(text="Hello").exists()


def test_inline_reschedule_from_the_row(mirror, editor_client: Client) -> None:
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    new_time = post.start_at + timedelta(hours=2)
    response = editor_client.post(
        f"/posts/{post.oktopost_id}/reschedule/",
        {"when": local(new_time), "expected_modified": post.modified.isoformat(), "from": "row"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="post-{post.oktopost_id}"')
    assert "Rescheduled." in html
    assert Post.objects.get(id=post.id).start_at == new_time.replace(second=0, microsecond=0)


def test_rescheduling_a_sent_post_is_refused_with_oktopost_reason(
    mirror, editor_client: Client
) -> None:
    sent = Post.objects.filter(status="complete").first()
    response = editor_client.post(
        f"/posts/{sent.oktopost_id}/reschedule/",
        {
            "when": local(timezone.now() + timedelta(days=1)),
            "from": "row",
            "expected_modified": sent.modified.isoformat(),
        },
        headers={"HX-Request": "true"},
    )
    assert "already been sent" in response.content.decode()


@pytest.mark.parametrize("url", ["reschedule", "profiles", "cancel"])
def test_every_change_form_needs_the_version_the_page_showed(
    mirror, editor_client: Client, url: str
) -> None:
    """Before: without expected_modified the conflict check was silently skipped."""
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    response = editor_client.post(
        f"/posts/{post.oktopost_id}/{url}/",
        {"when": local(timezone.now() + timedelta(days=2)), "profiles": post.credential_ids},
        follow=True,
    )
    assert "did not say which version of the post it showed" in response.content.decode()
    assert Post.objects.get(id=post.id).start_at == post.start_at
    assert Post.objects.get(id=post.id).deleted_at is None


def test_sent_posts_have_no_write_controls(editor_client: Client) -> None:
    sent = f.post(status="complete", start_at=timezone.now() - timedelta(days=1))
    html = editor_client.get(f"/posts/{sent.oktopost_id}/").content.decode()
    assert "Reschedule" not in html and "Cancel this post" not in html


def test_cancel_asks_first_naming_the_post(editor_client: Client) -> None:
    msg = f.message("Launch day is here")
    post = f.post(status="pending", msg=msg, profiles=[f.profile(name="Acme LI")])
    html = editor_client.get(f"/posts/{post.oktopost_id}/cancel/").content.decode()
    assert "Cancel this post?" in html
    assert post.oktopost_id in html and "Launch day is here" in html and "Acme LI" in html


def test_cancel_deletes_in_oktopost(mirror, editor_client: Client) -> None:
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    response = editor_client.post(
        f"/posts/{post.oktopost_id}/cancel/",
        {"expected_modified": post.modified.isoformat()},
        follow=True,
    )
    assert f"Cancelled the {post.network} post" in response.content.decode()
    assert Post.objects.get(id=post.id).deleted_at is not None


def test_cancel_with_a_mangled_expected_modified_changes_nothing(
    mirror, editor_client: Client
) -> None:
    """Before: the invalid value was dropped and the cancel went ahead unchecked."""
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    response = editor_client.post(
        f"/posts/{post.oktopost_id}/cancel/", {"expected_modified": "not-a-time"}, follow=True
    )
    assert "Not cancelled" in response.content.decode()
    assert Post.objects.get(id=post.id).deleted_at is None
    assert not Activity.objects.filter(action="cancel").exists()


def test_the_status_bar_needs_a_role(client: Client, outsider) -> None:
    client.force_login(outsider)
    assert client.get("/posts/status/").status_code == 403


def test_bulk_shift_of_selected_posts_reports_per_post(
    mirror, editor_client: Client, eager_tasks, django_capture_on_commit_callbacks
) -> None:
    posts = list(Post.objects.filter(status="pending", start_at__gt=timezone.now())[:3])
    sent = Post.objects.filter(status="complete").first()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            "/posts/bulk/",
            {
                "action": "shift",
                "minutes": "60",
                "scope": "selected",
                "post": [p.oktopost_id for p in posts] + [sent.oktopost_id],
            },
        )
    response = editor_client.get(response["Location"])
    bulk = BulkAction.objects.get()
    assert bulk.post_ids == sorted(
        bulk.post_ids, key=lambda i: Post.objects.get(oktopost_id=i).start_at
    )
    assert sent.oktopost_id not in bulk.post_ids  # only unsent posts are taken
    html = response.content.decode()
    assert "Done: 3 succeeded, 0 failed" in html


def test_bulk_on_all_matching_posts(
    mirror, editor_client: Client, eager_tasks, django_capture_on_commit_callbacks
) -> None:
    query = "preset=upcoming&network=Twitter"
    expected = Post.objects.filter(
        status__in=["pending", "inqueue"], network="Twitter", start_at__gt=timezone.now()
    ).count()
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(
            "/posts/bulk/",
            {"action": "shift", "minutes": "-15", "scope": "matching", "query": query},
        )
    bulk = BulkAction.objects.get()
    assert len(bulk.post_ids) == expected > 0
    assert Activity.objects.filter(bulk=bulk).count() == expected


def test_bulk_needs_a_choice(editor_client: Client) -> None:
    response = editor_client.post(
        "/posts/bulk/",
        {"action": "shift", "minutes": "10", "scope": "selected", "query": "network=Twitter"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select at least one post" in html
    assert '<details class="bulk-toggle" open>' in html
    assert 'value="10"' in html  # what the editor typed is kept
    assert not BulkAction.objects.exists()


def test_bulk_with_a_huge_query_answers_with_the_form_not_a_400(editor_client: Client) -> None:
    response = editor_client.post(
        "/posts/bulk/",
        {"action": "cancel", "scope": "matching", "query": "q=" + "x" * 100_000},
    )
    assert response.status_code == 200
    assert "at most 2000 characters" in response.content.decode()
    assert not BulkAction.objects.exists()


def test_activity_lists_and_filters_by_user_and_post(editor, editor_client: Client, viewer) -> None:
    Activity.objects.create(
        user=editor,
        action="cancel",
        outcome="ok",
        post_oktopost_id="004000000000123",
        answer="<i>Deleted</i>",
    )
    Activity.objects.create(
        user=viewer, action="create", outcome="failed", post_oktopost_id="004000000000999"
    )
    html = editor_client.get("/activity/?user=alice").content.decode()
    assert "004000000000123" in html and "004000000000999" not in html
    assert "&lt;i&gt;Deleted&lt;/i&gt;" in html
    html = editor_client.get("/activity/?post=004000000000999").content.decode()
    assert "004000000000999" in html and "004000000000123" not in html


def test_a_posts_detail_shows_its_history(editor, editor_client: Client) -> None:
    post = f.post(status="pending")
    Activity.objects.create(
        user=editor,
        action="reschedule",
        outcome="ok",
        post_oktopost_id=post.oktopost_id,
        before={"start_at": "a"},
        after={"start_at": "b"},
    )
    html = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert "Rescheduled" in html and "Time: a → b" in html
