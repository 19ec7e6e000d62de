"""The mirror's admin: a filtered post changelist for superusers, read-only, login first."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from posts.models import Campaign, Post

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/posts/post/"


@pytest.fixture
def admin_client_(db) -> Client:
    user = User.objects.create_superuser("root", "root@example.com", "correct-horse-battery")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seeded(db) -> Campaign:
    call_command("seed_mirror", posts=300, seed=3, stdout=io.StringIO())
    post = Post.objects.filter(status="complete", network="LinkedIn").first()
    return Campaign.objects.get(oktopost_id=post.campaign_id)


def filters(campaign: Campaign) -> dict[str, str]:
    # bench.queue's filters in the admin's own parameters; o=-1 is list_display[1]
    # (start_at), descending, as the queue's sort=-start_at.
    return {
        "status__in": "complete,incomplete",
        "network": "LinkedIn",
        "campaign__oktopost_id__exact": campaign.oktopost_id,
        "o": "-1",
    }


def test_a_superuser_sees_the_filtered_changelist(admin_client_: Client, seeded: Campaign) -> None:
    response = admin_client_.get(CHANGELIST, filters(seeded))
    assert response.status_code == 200
    expected = Post.objects.filter(
        status__in=["complete", "incomplete"], network="LinkedIn", campaign_id=seeded.oktopost_id
    ).order_by("-start_at", "-id")
    changelist = response.context["cl"]
    assert changelist.result_count == expected.count() > 0
    assert [p.pk for p in changelist.result_list] == [p.pk for p in expected[:50]]
    # An unknown filter parameter makes the admin redirect with ?e=1: ours were all valid.
    assert "e=1" not in response.get("Location", "")


def test_a_deep_page_of_the_changelist_answers(admin_client_: Client, seeded: Campaign) -> None:
    response = admin_client_.get(CHANGELIST, {"p": "3", "o": "-1"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50


def test_the_changelist_search_looks_in_message_texts(
    admin_client_: Client, seeded: Campaign
) -> None:
    response = admin_client_.get(CHANGELIST, {"q": "blog"})
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_the_mirror_cannot_be_edited_in_the_admin(admin_client_: Client, seeded: Campaign) -> None:
    post = Post.objects.first()
    assert admin_client_.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client_.get(f"{CHANGELIST}{post.pk}/change/").status_code == 200
    response = admin_client_.post(f"{CHANGELIST}{post.pk}/change/", {"status": "draft"})
    assert response.status_code == 403
    assert admin_client_.get(f"{CHANGELIST}{post.pk}/delete/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, seeded: Campaign) -> None:
    response = client.get(CHANGELIST, filters(seeded))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_an_editor_without_staff_status_is_sent_to_log_in(editor_client: Client) -> None:
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
