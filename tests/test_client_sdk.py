"""The client calls issue 25 added (users, teams, tags, campaigns, messages, posts,
calendar and its notes, analytics, followers, clicks, uploads without a type) and how it
tells errors apart, end to end against the sandbox over HTTP."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from oktopost.client import OktopostClient
from oktopost.errors import AuthError, NotFound, PermanentError, UnknownEndpoint
from oktopost.sandbox import media as files
from oktopost.types import Post, Upload
from tests.fixtures_sandbox import FileSource, SandboxProcess

PNG = files.png(24, 24, (10, 20, 30), (200, 210, 220))


@pytest.fixture
def client(quick_uploads: SandboxProcess) -> Iterator[OktopostClient]:
    client = OktopostClient(
        account_id=quick_uploads.account_id,
        api_key=quick_uploads.api_key,
        base_url=quick_uploads.base_url,
        timeout=(1.0, 10.0),
        backoff_base=0.01,
    )
    yield client
    client.session.close()


def settled(client: OktopostClient, upload: Upload) -> Upload:
    deadline = time.monotonic() + 20
    while upload.pending and time.monotonic() < deadline:
        time.sleep(0.05)
        upload = client.upload_get(upload.id)
    return upload


def twitter(client: OktopostClient) -> tuple[str, str]:
    """A Twitter message and a valid Twitter profile."""
    for campaign in client.campaigns_iter():
        found = client.message_list(campaign_id=campaign.id, network="Twitter", count=25).items
        if found:
            return found[0].id, client.credential_list(network="Twitter")[0].id
    raise AssertionError("no Twitter message")


# ------------------------------------------------------------------ users and teams


def test_users_carry_role_and_time_zone_and_one_user_reads_in_full(
    client: OktopostClient,
) -> None:
    users = list(client.users_iter())
    one = client.user_get(users[0].id)

    assert {u.role for u in users} == {"admin", "publisher", "contributor", "read"}
    assert all(u.timezone for u in users)
    assert (one.first_name, one.last_name) == tuple(users[0].name.split(" ", 1))
    assert one.status == "active" and one.created and one.modified and one.timezone
    assert [u.name for u in client.user_list(order="name", direction="desc").items] == sorted(
        (u.name for u in users), reverse=True
    )
    assert [u.name for u in client.user_list(q="priya").items] == ["Priya Raman"]


def test_teams_are_listed_and_read(client: OktopostClient) -> None:
    teams = list(client.teams_iter())

    assert [t.name for t in teams] == sorted(t.name for t in teams)
    assert client.team_get(teams[0].id) == teams[0]


# ---------------------------------------------------------------- tags, campaigns


def test_tags_are_listed_created_renamed_and_deleted(client: OktopostClient) -> None:
    names = [t.name for t in client.tags_iter(order="tag", direction="asc")]
    created = client.tag_create(name="webinars")
    renamed = client.tag_update(created.id, name="webinar series")

    with pytest.raises(PermanentError) as duplicate:
        client.tag_create(name="Webinar Series")
    client.tag_delete(created.id)

    assert names == sorted(names) and len(names) == 7
    assert created.id.startswith("0AF") and created.last_used is None
    assert renamed.name == "webinar series"
    assert "already exists" in duplicate.value.messages["tag"]
    assert duplicate.value.summary == duplicate.value.messages["tag"]
    with pytest.raises(NotFound):
        client.tag_get(created.id)


def test_campaigns_filter_sort_and_carry_tag_ids(client: OktopostClient) -> None:
    tags = {t.id for t in client.tags_iter()}
    everything = list(client.campaigns_iter(with_tags=True))
    active = client.campaign_list(status="active", order="name", direction="asc", count=25)
    searched = client.campaign_list(q="STORIES", count=25)

    assert all(set(c.tags) <= tags for c in everything) and any(c.tags for c in everything)
    assert [c.name for c in active.items] == sorted(
        c.name for c in everything if c.status == "active"
    )
    assert [c.name for c in searched.items] == ["Customer Stories"]
    assert client.campaign_get(everything[0].id).send_summary == "0"
    with pytest.raises(ValueError, match="status"):
        client.campaign_list(status="running")


def test_a_campaign_is_created_and_updated(client: OktopostClient) -> None:
    tag = next(client.tags_iter())
    created = client.campaign_create(name="Spring Launch", url="https://n.example/spring")
    updated = client.campaign_update(created.id, status="paused", tag_ids=[tag.id])
    cleared = client.campaign_update(created.id, tag_ids=[])

    assert (created.status, created.total_posts, created.start_date) == ("active", 0, None)
    assert updated.status == "paused"
    assert client.campaign_get(created.id, with_tags=True).tags == ()
    assert client.campaign_update(created.id, name="Spring").name == "Spring"
    assert cleared.id == created.id
    with pytest.raises(ValueError, match="status"):
        client.campaign_update(created.id, status="complete")


# --------------------------------------------------------------- messages, posts


def test_a_message_takes_tag_ids_or_its_campaigns(client: OktopostClient) -> None:
    campaign = next(c for c in client.campaigns_iter(with_tags=True) if c.tags)
    tag = client.tag_create(name="contract-tag")
    inherited = client.message_create(network="Twitter", campaign_id=campaign.id, text="a")
    chosen = client.message_create(
        network="Twitter", campaign_id=campaign.id, text="b", tag_ids=[tag.id]
    )

    assert client.message_get(inherited.id, with_tags=True).tags == campaign.tags
    assert client.message_get(chosen.id, with_tags=True).tag_ids == (tag.id,)
    assert chosen.tags == ()  # without with_tags the answer carries none
    listed = client.messages_by_ids([inherited.id, chosen.id], with_tags=True)
    assert {m.id: m.tags for m in listed} == {inherited.id: campaign.tags, chosen.id: (tag.id,)}
    assert client.tag_get(tag.id).last_used is not None


def test_a_link_title_changes_alone_and_a_deleted_message_keeps_its_posts(
    client: OktopostClient,
) -> None:
    campaign = client.campaign_list(count=25).items[0].id
    message = client.message_create(
        network="LinkedIn",
        campaign_id=campaign,
        text="Read this",
        link_url="https://n.example/a",
        link_title="Old",
    )
    profile = client.credential_list(network="LinkedIn")[0].id
    post = client.post_create(message_id=message.id, credential_ids=[profile], status="draft")

    retitled = client.message_update(message.id, link_title="New title")
    client.message_delete(message.id)

    assert (retitled.link_title, retitled.link_url) == ("New title", "https://n.example/a")
    with pytest.raises(NotFound):
        client.message_get(message.id)
    assert client.post_get(post.id).message_id == message.id


def test_a_link_preview_without_a_link_is_refused_in_words(client: OktopostClient) -> None:
    campaign = client.campaign_list(count=25).items[0].id
    message = client.message_create(network="LinkedIn", campaign_id=campaign, text="No link")

    with pytest.raises(PermanentError) as refused:
        client.message_update(message.id, link_title="A title")

    assert "send linkUrl too" in refused.value.messages["linkUrl"]
    assert refused.value.summary == refused.value.messages["linkUrl"]
    assert "API" not in refused.value.messages


def test_a_post_keeps_its_workflow_and_preset_and_moves_campaign(
    client: OktopostClient,
) -> None:
    message_id, profile = twitter(client)
    post = client.post_create(
        message_id=message_id,
        credential_ids=[profile],
        status="draft",
        workflow_id="cwf000000000002",
        targeting_preset_id="preset-1",
    )
    other = next(c for c in client.campaigns_iter() if c.id != post.campaign_id)

    moved = client.post_change_campaign(post.id, campaign_id=other.id)
    retargeted = client.post_update(post.id, targeting_preset_id="preset-2")

    assert (post.workflow_id, post.targeting_preset_id) == ("cwf000000000002", "preset-1")
    assert moved.campaign_id == other.id
    assert retargeted.targeting_preset_id == "preset-2"
    assert retargeted.workflow_id == "cwf000000000002"
    assert post.id in {p.id for p in client.post_list(campaign_id=other.id, count=100).items}
    plain = client.post_create(message_id=message_id, credential_ids=[profile], status="draft")
    assert (plain.workflow_id, plain.targeting_preset_id, plain.tags) == ("", "", ())


# ---------------------------------------------------------------------- calendar


def test_the_calendar_shows_posts_and_notes(client: OktopostClient) -> None:
    today = datetime.now(UTC).date()
    month = client.calendar(from_date=today - timedelta(days=30), to_date=today + timedelta(30))
    twitter_only = client.calendar(
        from_date=today - timedelta(days=30), to_date=today, networks=["Twitter"]
    )

    assert month.posts and month.notes
    assert {p.campaign_id for p in month.posts} <= set(month.campaigns)
    assert {p.message_id for p in month.posts} <= set(month.messages)
    assert all(
        today - timedelta(days=30) <= (p.start_at or datetime.min).date() <= today + timedelta(30)
        for p in month.posts
    )
    assert twitter_only.posts and {p.network for p in twitter_only.posts} == {"Twitter"}
    with pytest.raises(PermanentError) as too_long:
        client.calendar(from_date=today, to_date=today + timedelta(days=100))
    assert "92 days" in too_long.value.messages["toDate"]


def test_calendar_notes_are_listed_created_changed_and_deleted(client: OktopostClient) -> None:
    campaign = client.campaign_list(count=25).items[0]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    created = client.calendar_event_create(
        title="Board meeting",
        start_at=start,
        end_at=start + timedelta(hours=2),
        description="Quarterly",
        campaign_ids=[campaign.id],
    )
    listed = client.calendar_event_list(campaign_ids=[campaign.id], after=start, count=25)
    changed = client.calendar_event_update(created.id, title="Board call", campaign_ids=[])

    assert created.id.startswith("0CE") and created.start_at == start
    assert created.campaigns == ((campaign.id, campaign.name),)
    assert created.id in {e.id for e in listed.items}
    assert (changed.title, changed.campaign_ids) == ("Board call", ())
    assert client.calendar_event_get(created.id).end_at == start + timedelta(hours=2)
    assert len(list(client.calendar_events_iter())) == 7
    client.calendar_event_delete(created.id)
    with pytest.raises(NotFound):
        client.calendar_event_get(created.id)


# --------------------------------------------------------------------- analytics


def test_analytics_followers_and_clicks_agree_with_the_stats(
    client: OktopostClient, quick_uploads: SandboxProcess
) -> None:
    quick_uploads.control("POST", "clock", {"freeze": True})
    post = client.post_list(status="complete", count=25).items[0]
    profile = client.credential_list()[0].id
    today = datetime.now(UTC).date()

    stats = client.post_analytics(post.id)
    history = client.followers(profile, from_date=today - timedelta(days=6), to_date=today)
    clicks = client.click_list(count=200)
    message_clicks = list(client.clicks_iter(message_id=post.message_id))
    of_message = client.post_list(message_id=post.message_id, count=100).items

    full = client.post_get(post.id, stats=True).stats
    assert full is not None
    assert (stats.link_clicks, stats.likes, stats.shares, stats.impressions_added) == (
        full.link_clicks,
        full.likes,
        full.shares,
        full.impressions_added,
    )
    assert [p.day for p in history] == [today - timedelta(days=n) for n in range(6, -1, -1)]
    assert all(b.followers - a.followers == b.added for a, b in itertools.pairwise(history))
    assert clicks.total == sum(p.clicks for p in every_post(client))
    assert len(message_clicks) == sum(p.clicks for p in of_message)
    assert all(c.id.startswith("009") and c.message_id == post.message_id for c in message_clicks)
    times = [c.created for c in clicks.items]
    assert times == sorted(times, reverse=True)
    converted = client.click_list(count=25, converts_only=True).items
    assert converted and all(c.converted for c in converted)


def every_post(client: OktopostClient) -> list[Post]:
    posts: list[Post] = []
    page = 0
    while True:
        found = client.post_list(page=page, count=100)
        posts += found.items
        if not found.has_next:
            return posts
        page += 1


# ------------------------------------------------------------------------ uploads


def test_an_upload_without_a_type_takes_the_sources_content_type(
    client: OktopostClient, file_source: FileSource
) -> None:
    by_header = file_source.add("/pictures/42", PNG, "image/png")
    by_name = file_source.add("/download", PNG, "application/octet-stream")

    typed = settled(client, client.upload_create(source=by_header, name="logo"))
    named = settled(client, client.upload_create(source=by_name, name="logo.png"))

    assert (typed.status, typed.mime_type) == ("complete", "image/png")
    assert (named.status, named.mime_type) == ("complete", "image/png")
    with pytest.raises(PermanentError) as unknown:
        client.upload_create(source=by_name, name="download")
    assert "cannot be inferred" in unknown.value.messages["mimeType"]


def test_video_checks_say_which_network_takes_the_video(
    client: OktopostClient, file_source: FileSource
) -> None:
    long = file_source.add("/long.mp4", files.mp4(200), "video/mp4")
    media_id = settled(client, client.upload_create(source=long, name="long.mp4")).media_id

    check = client.video_validate(media_id or "")

    assert check.valid and not check.valid_for("Twitter") and check.valid_for("LinkedIn")
    assert check.reasons == ("Twitter: The video lasts 200 s; Twitter takes videos up to 140 s.",)


# ------------------------------------------------------------------------- errors


def test_an_unknown_route_is_told_from_an_unknown_id(client: OktopostClient) -> None:
    with pytest.raises(NotFound) as unknown_id:
        client.tag_get("0AF999999999999")
    with pytest.raises(UnknownEndpoint) as unknown_route:
        client._request("GET", "/social-profile", call="GET /social-profile")

    assert not isinstance(unknown_id.value, UnknownEndpoint)
    assert unknown_id.value.summary == "Tag not found"
    assert unknown_route.value.messages == {} and unknown_route.value.status == 404


@pytest.mark.parametrize(("status", "error"), [(403, AuthError), (404, UnknownEndpoint)])
def test_a_denied_endpoint_is_refused_as_the_control_api_says(
    client: OktopostClient, quick_uploads: SandboxProcess, status: int, error: type
) -> None:
    quick_uploads.control("POST", "deny", {"endpoints": {"GET /user": status}})

    with pytest.raises(error):
        list(client.users_iter())

    assert client.user_get(client.me().user_id).role == ""  # GET /user/{id} still answers
    quick_uploads.control("POST", "reset")
    assert list(client.users_iter())


def test_dates_must_be_in_order_and_lists_not_strings(client: OktopostClient) -> None:
    today = date.today()
    with pytest.raises(ValueError, match="before"):
        client.calendar(from_date=today, to_date=today - timedelta(days=1))
    with pytest.raises(TypeError):
        client.calendar_event_create(
            title="x",
            start_at=datetime.now(UTC),
            campaign_ids="002000000000001",  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="count"):
        client.click_list(count=300)
