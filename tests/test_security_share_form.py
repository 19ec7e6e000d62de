"""Share links never widen silently (issue 23, finding 2, and the smaller finding on
presets that roll forward): the form takes the filters as controls, shows what the link
will show (scope, number of posts, date rule) before it is made, and refuses what it
cannot read with words. The clock is pinned: Wednesday 10 March 2027, 12:00 UTC."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from sharing.models import ShareLink
from tests import factories as f
from tests.security_helpers import fake_dns, loopback_only  # noqa: F401

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


@pytest.fixture
def data(db):
    launch, brand = f.campaign("Launch"), f.campaign("Brand")
    li, tw = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    for i in range(20):
        twitter = i % 2 == 0
        f.post(
            status="complete",
            start_at=NOW - timedelta(days=i, hours=1),
            network="Twitter" if twitter else "LinkedIn",
            profiles=[tw if twitter else li],
            msg=f.message("Secret plan" if twitter else "Hello", camp=brand if twitter else launch),
            camp=brand if twitter else launch,
        )
    return {"launch": launch, "brand": brand}


def seen_of(response) -> str:
    return re.search(r'name="seen" value="([0-9a-f]+)"', response.content.decode()).group(1)


def create(client: Client, fields: dict) -> tuple[object, ShareLink | None]:
    """Post the form as a person does: once to see what it will show, then again with
    what was on screen."""
    before = set(ShareLink.objects.values_list("id", flat=True))
    first = client.post("/share/new/", {"label": "Board", "days": "30", **fields})
    assert first.status_code == 200
    if b'name="seen"' in first.content and not first.context.get("errors"):
        answer = client.post(
            "/share/new/", {"label": "Board", "days": "30", **fields, "seen": seen_of(first)}
        )
    else:
        answer = first
    made = ShareLink.objects.exclude(id__in=before).first()
    return answer, made


def test_a_pasted_query_starting_with_a_question_mark_keeps_every_filter(
    editor_client, data
) -> None:
    launch = data["launch"].oktopost_id
    _, link = create(
        editor_client, {"page": "stats", "query": f"?network=LinkedIn&campaign={launch}"}
    )
    assert link is not None
    assert "network=LinkedIn" in link.query and f"campaign={launch}" in link.query


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("https://dash.example.com/stats/?network=LinkedIn", "looks like part of an address"),
        ("/stats/?network=LinkedIn", "looks like part of an address"),
        ("netwrok=LinkedIn", "“netwrok” is not something the stats page can filter by"),
        ("network=LinkdIn", "not a known network"),
        ("range=7days", "not a known range"),
        ("campaign=gone", "not a known campaign"),
    ],
)
def test_what_the_form_cannot_read_is_refused_in_words(editor_client, data, query, words):
    answer, link = create(editor_client, {"page": "stats", "query": query})
    assert link is None
    assert words in answer.content.decode()


def test_the_queue_refuses_a_stats_parameter(editor_client, data) -> None:
    answer, link = create(editor_client, {"page": "queue", "query": "range=7d"})
    assert link is None
    assert "“range” is not something the queue can filter by" in answer.content.decode()


def test_the_form_shows_scope_count_and_date_rule_before_anything_is_made(
    editor_client, data
) -> None:
    page = editor_client.get("/share/new/?page=stats&network=LinkedIn&range=7d")
    assert page.status_code == 200
    html = page.content.decode()
    assert "What this link will show" in html
    assert "Networks:</span> LinkedIn" in html
    preview = page.context["review"].preview
    assert preview.count == 3  # LinkedIn posts in the 7 days to 10 March
    assert "<strong>3</strong> posts, counted now" in html
    assert "Rolls forward" in preview.dates or "Fixed" in preview.dates
    # Controls, not a query string: the network is a selected option.
    assert re.search(r'<option value="LinkedIn" selected>', html)
    assert 'name="query"' not in html
    # Posting without having seen it (as "Share this view" does) makes nothing yet.
    answer = editor_client.post(
        "/share/new/", {"page": "stats", "network": "LinkedIn", "range": "7d", "label": "x"}
    )
    assert ShareLink.objects.count() == 0
    assert "Check what the link will show" in answer.content.decode()


def test_a_whole_account_link_says_so(editor_client, data) -> None:
    html = editor_client.get("/share/new/?page=stats").content.decode()
    assert "Every post of the account" in html


def test_a_changed_filter_after_the_preview_makes_nothing(editor_client, data) -> None:
    first = editor_client.post("/share/new/", {"page": "stats", "network": "LinkedIn"})
    answer = editor_client.post(
        "/share/new/",
        {"page": "stats", "network": "Twitter", "label": "x", "seen": seen_of(first)},
    )
    assert ShareLink.objects.count() == 0
    assert "Check what the link will show" in answer.content.decode()
    assert "Networks:</span> Twitter" in answer.content.decode()


def test_controls_store_exactly_the_filters_chosen(editor_client, data) -> None:
    brand = data["brand"].oktopost_id
    _, link = create(
        editor_client,
        {
            "page": "stats",
            "range": "90d",
            "dates": "roll",
            "network": ["LinkedIn", "Twitter"],
            "campaign": [brand],
            "q": "",
            "media": "",
            "from": "2027-01-01",
            "to": "2027-01-31",
        },
    )
    assert link.query == f"network=LinkedIn&network=Twitter&campaign={brand}&range=90d"


def test_a_preset_is_pinned_or_rolls_as_its_creator_chose(editor_client, data, pinned):
    _, fixed = create(editor_client, {"page": "stats", "range": "7d", "dates": "fixed"})
    _, rolling = create(editor_client, {"page": "stats", "range": "7d", "dates": "roll"})
    assert fixed.query == "from=2027-03-04&to=2027-03-10"
    assert rolling.query == "range=7d"
    preview = editor_client.get("/share/new/?page=stats&range=7d&dates=roll").context["review"]
    assert "Rolls forward" in preview.preview.dates
    pinned.shift(timedelta(days=3))
    anonymous = Client()
    tokens = {}
    for link in (fixed, rolling):
        # The token is shown once; reach each page through a fresh one of the same scope.
        from sharing.services import share_link_create

        made = share_link_create(page="stats", query=link.query, label="t", user=link.created_by)
        tokens[link.id] = made.token
    fixed_period = anonymous.get(f"/s/{tokens[fixed.id]}/").context["period"]
    rolling_period = anonymous.get(f"/s/{tokens[rolling.id]}/").context["period"]
    assert (fixed_period.first, fixed_period.last) == (NOW.date() - timedelta(days=6), NOW.date())
    assert rolling_period.last == NOW.date() + timedelta(days=3)


def test_the_command_refuses_what_it_cannot_read(data) -> None:
    with pytest.raises(CommandError, match="netwrok"):
        call_command("share_link", "create", "--page", "stats", "--query", "netwrok=LinkedIn")
    out = StringIO()
    call_command(
        "share_link", "create", "--page", "stats", "--query", "?network=LinkedIn", stdout=out
    )
    assert ShareLink.objects.get().query == "network=LinkedIn"


def test_viewers_open_the_form_unless_an_admin_switched_sharing_off(viewer_client, data) -> None:
    # Issue 29, item 5: viewers may share what they see; an admin may switch it off.
    assert viewer_client.get("/share/new/").status_code == 200
    from sharing.services import sharing_policy_set

    sharing_policy_set(viewers_may_share=False, user=None)
    assert viewer_client.get("/share/new/").status_code == 403
    answer = viewer_client.post("/share/new/", {"page": "stats", "label": "x", "seen": "x"})
    assert answer.status_code == 403 and ShareLink.objects.count() == 0


def test_outsiders_cannot_open_the_form(outsider, data) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.get("/share/new/").status_code == 403
