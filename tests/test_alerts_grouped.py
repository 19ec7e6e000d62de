"""One cause, one alert (issue 28): failures of one disconnected profile, against the
sandbox over HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert
from alerts.services.detect import alerts_detect
from posts import services, sync
from posts.connection import get_client
from posts.models import Post, Profile
from tests.fix_helpers import read_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def roomy_budget(mirror, settings):
    """Eleven posts, their sends and read-backs are more calls than a minute's share."""
    settings.OKTOPOST_LIMIT_PER_MINUTE = 1000
    settings.OKTOPOST_LIMIT_PER_5S = 1000
    mirror.control("POST", "limits", {"enabled": False})
    yield mirror
    mirror.control("POST", "limits", {"enabled": True})


def test_ten_failures_from_one_disconnected_profile_make_one_alert(
    roomy_budget, mirror, editor
) -> None:
    profile = Profile.objects.filter(network="LinkedIn", status="valid").first()
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    message = services.message_create(
        user=editor, network="LinkedIn", campaign_id=campaign_id, text="Ten times"
    )
    posts = [
        services.post_create(
            user=editor,
            message_id=message.oktopost_id,
            profile_ids=[profile.oktopost_id],
            start_at=timezone.now() + timedelta(days=1, minutes=i),
        )
        for i in range(11)
    ]
    later = posts.pop()
    mirror.control("POST", f"credentials/{profile.oktopost_id}", {"Status": "invalid"})
    for post in posts:
        mirror.control("POST", f"posts/{post.oktopost_id}/send", {"errors": {}})
    sync.posts_sync()
    # The sync reads postlogs only while the background budget allows (never waiting).
    interactive = get_client(priority="interactive")
    read_back(interactive, Post.objects.filter(id__in=[p.id for p in posts]))
    assert Post.objects.filter(id__in=[p.id for p in posts], status="error").count() == 10
    Alert.objects.all().delete()  # whatever the generated world had failing

    made = alerts_detect()
    mine = [a for a in made if profile.oktopost_id in a.key]
    assert len(mine) == 1
    alert = mine[0]
    assert "disconnected: 10 posts failed" in alert.title
    assert any("Reconnect it in Oktopost" in line for line in alert.lines)
    assert sum(f"/posts/{p.oktopost_id}/" in " ".join(alert.lines) for p in posts) == 10
    assert not Alert.objects.filter(post_oktopost_id__in=[p.oktopost_id for p in posts])

    # Nothing new failed: no new alert.
    assert not [a for a in alerts_detect() if profile.oktopost_id in a.key]
    # Something new fails there: one new alert, listing all eleven.
    mirror.control("POST", f"posts/{later.oktopost_id}/send", {"errors": {}})
    sync.posts_sync()
    read_back(interactive, [Post.objects.get(id=later.id)])
    again = [a for a in alerts_detect() if profile.oktopost_id in a.key]
    assert len(again) == 1
    assert "11 posts failed" in again[0].title
