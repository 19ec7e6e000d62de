"""“Share this view” (issue 29, item 5): anyone who may see a view shares it in one
step, from the queue, the stats page or the calendar; an admin can switch it off for
viewers; each person lists and revokes their own links, admins everyone's. The clock is
pinned: Wednesday 10 March 2027, 12:00 UTC."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accounts.models import APPROVER, EDITOR, User
from sharing.models import ShareLink
from tests import factories as f
from tests.conftest import make_user

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


@pytest.fixture
def data(db):
    launch, brand = f.campaign("Launch"), f.campaign("Brand")
    li, tw = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    for i in range(12):
        twitter = i % 2 == 0
        f.post(
            status="complete" if i < 8 else "scheduled",
            start_at=NOW + timedelta(days=i - 8, hours=1),
            network="Twitter" if twitter else "LinkedIn",
            profiles=[tw if twitter else li],
            msg=f.message("Secret plan" if twitter else "Hello", camp=brand if twitter else launch),
            camp=brand if twitter else launch,
        )
    return {"launch": launch, "brand": brand}


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x-x-x-x-x"))
    return client


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def share(client: Client, page: str, query: str, **fields: str):
    """Open the dialog as the button does, then press "Create link" in it."""
    dialog = client.get("/share/this/", {"page": page, "query": query})
    assert dialog.status_code == 200, dialog.status_code
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', dialog.content.decode())
    assert seen, dialog.content.decode()
    post = {"page": page, "query": query, "seen": seen.group(1), "days": "7", **fields}
    return dialog, client.post("/share/this/", post)


def test_a_viewer_shares_the_queue_in_one_step_and_the_link_opens(viewer_client, data) -> None:
    dialog, made = share(viewer_client, "queue", "network=LinkedIn")
    words = dialog.content.decode()
    assert "Networks:</span> LinkedIn" in words and "<strong>6</strong> posts" in words
    assert made.status_code == 200
    link = ShareLink.objects.get()
    assert link.query == "network=LinkedIn" and link.made_as == ShareLink.MadeAs.VIEWER
    assert link.label == "Queue: LinkedIn"  # no label given: named after what it shows
    assert link.expires_at == NOW + timedelta(days=7)
    url = made.context["new_url"]
    assert 'data-copy="#new-link-url"' in made.content.decode()
    opened = Client().get(url.split("testserver", 1)[1])
    assert opened.status_code == 200 and "Secret plan" not in opened.content.decode()


def test_the_stats_page_is_shared_with_its_range_fixed_or_rolling(editor_client, data) -> None:
    _, made = share(editor_client, "stats", "range=7d&network=Twitter", label="Board")
    assert made.status_code == 200
    assert ShareLink.objects.get().query == "network=Twitter&from=2027-03-04&to=2027-03-10"
    share(editor_client, "stats", "range=7d", dates="roll")
    assert ShareLink.objects.first().query == "range=7d"


def test_the_calendar_is_shared_as_the_posts_of_the_days_it_shows(viewer_client, data) -> None:
    dialog, _ = share(viewer_client, "calendar", "view=week&date=2027-03-10&network=LinkedIn")
    assert "The calendar's posts, as a list" in dialog.content.decode()
    link = ShareLink.objects.get()
    assert link.page == "queue"
    assert link.query == "network=LinkedIn&from=2027-03-08&to=2027-03-14&sort=start_at"
    month, _ = share(viewer_client, "calendar", "view=month&date=2027-03-20")
    assert "1 Mar 2027 to 4 Apr 2027" in month.content.decode()


def test_an_approver_may_share_and_their_link_lives_by_their_role(db, data) -> None:
    approver = make_user("april", APPROVER)
    share(client_for(approver), "queue", "")
    link = ShareLink.objects.get()
    assert link.is_active()
    approver.groups.clear()
    approver = User.objects.get(id=approver.id)
    assert not ShareLink.objects.get().is_active()


@pytest.mark.parametrize(
    ("page", "query", "words"),
    [
        ("queue", "netwrok=LinkedIn", "“netwrok” is not something the queue can filter by"),
        ("stats", "campaign=gone", "not a known campaign"),
        ("calendar", "view=year", "not a calendar view"),
        ("calendar", "from=2027-01-01", "“from” is not something the calendar can filter by"),
    ],
)
def test_a_view_the_pages_parsers_cannot_read_is_refused_in_words(
    viewer_client, data, page, query, words
) -> None:
    dialog = viewer_client.get("/share/this/", {"page": page, "query": query})
    assert words in dialog.content.decode()
    assert 'name="seen"' not in dialog.content.decode()
    viewer_client.post("/share/this/", {"page": page, "query": query, "seen": "0" * 32})
    assert ShareLink.objects.count() == 0


def test_a_post_for_another_view_than_the_dialog_showed_makes_nothing(viewer_client, data) -> None:
    dialog = viewer_client.get("/share/this/", {"page": "queue", "query": "network=LinkedIn"})
    seen = dialog.context["asked"].seen
    answer = viewer_client.post(
        "/share/this/", {"page": "queue", "query": "network=Twitter", "seen": seen}
    )
    assert "The view changed since this opened" in answer.content.decode()
    assert ShareLink.objects.count() == 0


def test_the_dialog_refuses_a_post_without_csrf(viewer, data) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    answer = client.post("/share/this/", {"page": "queue", "query": "", "seen": "x"})
    assert answer.status_code == 403 and ShareLink.objects.count() == 0


def test_every_role_sees_share_this_view_and_shared_links_in_the_nav(viewer_client, data) -> None:
    for path in ("/posts/", "/stats/", "/calendar/"):
        html = viewer_client.get(path + "?network=LinkedIn").content.decode()
        assert "Share this view" in html, path
        assert 'href="/share/"' in html and "Shared links" in html, path
    assert viewer_client.get("/share/").status_code == 200


def test_an_admin_switches_sharing_off_for_viewers_and_the_views_refuse(
    admin_client, viewer_client, editor_client, data
) -> None:
    assert admin_client.post("/share/policy/", {}).status_code == 302
    assert "Share this view" not in viewer_client.get("/posts/").content.decode()
    assert viewer_client.get("/share/this/", {"page": "queue"}).status_code == 403
    refused = viewer_client.post("/share/this/", {"page": "queue", "query": "", "seen": "x"})
    assert refused.status_code == 403
    assert viewer_client.get("/share/new/").status_code == 403
    assert "switched sharing off" in viewer_client.get("/share/").content.decode()
    # Editors still may.
    share(editor_client, "queue", "")
    assert ShareLink.objects.count() == 1
    admin_client.post("/share/policy/", {"viewers_may_share": "on"})
    share(viewer_client, "queue", "")
    assert ShareLink.objects.count() == 2


def test_only_an_admin_changes_who_may_share(editor_client, viewer_client, data) -> None:
    assert editor_client.post("/share/policy/", {}).status_code == 403
    assert viewer_client.post("/share/policy/", {}).status_code == 403
    assert 'action="/share/policy/"' not in editor_client.get("/share/").content.decode()


def test_each_person_lists_their_own_links_and_admins_see_all(
    admin_client, viewer_client, editor_client, data
) -> None:
    share(viewer_client, "queue", "network=LinkedIn", label="Viewer's link")
    share(editor_client, "queue", "network=Twitter", label="Editor's link")
    mine = viewer_client.get("/share/").content.decode()
    assert "Viewer&#x27;s link" in mine and "Editor&#x27;s link" not in mine
    assert "Queue: LinkedIn" in mine  # what it shows, in names, not its query string
    everyone = admin_client.get("/share/").content.decode()
    assert "Viewer&#x27;s link" in everyone and "Editor&#x27;s link" in everyone
    assert "by victor" in everyone and "by alice" in everyone


def test_nobody_revokes_anothers_link_but_an_admin(
    admin_client, viewer_client, editor_client, data
) -> None:
    share(editor_client, "queue", "", label="Editor's")
    theirs = ShareLink.objects.get()
    assert viewer_client.post(f"/share/{theirs.id}/revoke/").status_code == 404
    assert ShareLink.objects.get().revoked_at is None
    share(viewer_client, "queue", "", label="Mine")
    mine = ShareLink.objects.exclude(id=theirs.id).get()
    assert viewer_client.post(f"/share/{mine.id}/revoke/").status_code == 302
    assert admin_client.post(f"/share/{theirs.id}/revoke/").status_code == 302
    assert not ShareLink.objects.filter(revoked_at__isnull=True).exists()


def test_people_without_a_role_cannot_share(outsider, data) -> None:
    client = client_for(outsider)
    assert client.get("/share/this/", {"page": "queue"}).status_code == 403
    assert client.get("/share/").status_code == 403


def test_the_editors_role_counts_for_an_editor_made_link(db, data) -> None:
    editor = make_user("ed", EDITOR)
    share(client_for(editor), "queue", "")
    assert ShareLink.objects.get().made_as == ShareLink.MadeAs.EDITOR


def test_a_message_filter_is_named_by_its_text_in_the_dialog_and_on_the_link(
    viewer_client, data
) -> None:
    from posts.models import Message

    hello = Message.objects.filter(text="Hello").first()
    dialog, made = share(viewer_client, "queue", f"message={hello.oktopost_id}")
    assert "Messages:</span> “Hello”" in dialog.content.decode()
    opened = Client().get(made.context["new_url"].split("testserver", 1)[1]).content.decode()
    assert "Message “Hello”" in opened and hello.oktopost_id not in opened
