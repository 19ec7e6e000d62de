"""The engagement rate and per-post averages beside totals, on the stats page and in its
breakdowns, against figures worked out by hand; profiles named with their network."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from posts.models import Post
from reports.selectors import Figures, engagement_rate
from tests import factories as f

# 2 to 8 March 2026, whole days in any zone the viewer may have: posts are at noon UTC.
QUERY = "from=2026-03-02&to=2026-03-08"


class Tables(HTMLParser):
    """Each table as rows of {column heading: cell text}, and each totals card as
    heading -> its text: what a person reads, whatever the markup's whitespace."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.cards: dict[str, str] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._card: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "article" and "stat-card" in (attrs.get("class") or ""):
            self._card = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "article" and self._card is not None:
            text = " ".join("".join(self._card).split())
            head, _, rest = text.partition("|")
            self.cards[head.strip()] = rest.strip()
            self._card = None
        elif tag == "header" and self._card is not None:
            self._card.append("|")

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._card is not None:
            self._card.append(data)

    def rows(self, table: str) -> dict[str, dict[str, str]]:
        head, *body = self.tables[table]
        return {row[0]: dict(zip(head[1:], row[1:], strict=False)) for row in body if row}


def read(html: str) -> Tables:
    parsed = Tables()
    parsed.feed(html)
    return parsed


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=UTC)


@pytest.fixture
def posts(db):
    """Four sent posts of one brand on three networks, worked out by hand:

    | post | network  | media | comments | likes | shares | impressions      | engagement |
    | 1    | LinkedIn | image | 2        | 10    | 3      | 500              | 15         |
    | 2    | LinkedIn | text  | 1        | 4     | 0      | 250              | 5          |
    | 3    | Twitter  | image | 0        | 6     | 2      | not reported (0) | 8          |
    | 4    | Facebook | text  | 3        | 2     | 0      | never read       | 5          |
    """
    li = f.profile("LinkedIn", "Northwind Analytics")
    tw = f.profile("Twitter", "Northwind Analytics")
    fb = f.profile("Facebook", "Northwind Analytics")
    read_at = timezone.now()  # read lately: no row is marked stale
    rows = [
        (li, 3, "image", 2, 10, 3, 500, read_at),
        (li, 4, "", 1, 4, 0, 250, read_at),
        (tw, 5, "image", 0, 6, 2, 0, read_at),
        (fb, 6, "", 3, 2, 0, 0, None),
    ]
    for profile, day, media, comments, likes, shares, impressions, stats_at in rows:
        post = f.post(
            status="complete",
            start_at=at(day),
            network=profile.network,
            profiles=[profile],
            comments=comments,
            likes=likes,
            shares=shares,
            impressions=impressions,
            stats_at=stats_at,
            counters_at=read_at,
        )
        Post.objects.filter(pk=post.pk).update(media_kind=media)
    return {"li": li, "tw": tw, "fb": fb}


def breakdown(client: Client, by: str) -> dict[str, dict[str, str]]:
    """The main breakdown's rows, from the page or from the section filled in later."""
    page = client.get(f"/stats/?{QUERY}&by={by}")
    html = page.content.decode()
    if "breakdown" in page.context["lazy"]:
        part = client.get(f"/stats/part/breakdown/?{QUERY}&by={by}", headers={"HX-Request": "1"})
        html = part.content.decode()
    return read(html).rows("breakdown-table")


def test_totals_show_the_rate_and_averages_per_post(viewer_client: Client, posts) -> None:
    cards = read(viewer_client.get(f"/stats/?{QUERY}").content.decode()).cards

    # Only the LinkedIn posts have impressions known: their engagement 20 over 750.
    # (Dividing all 33 by 750 would say 4.40 %: Twitter's and Facebook's engagement
    # has no impressions to go with it.)
    assert cards["Engagement rate"].startswith("2.67 %")
    # Engagement per post counts the three posts whose shares were read: 33 / 3.
    assert "33" in cards["Engagement"] and "11.0 per post" in cards["Engagement"]
    # Likes were read for all four posts: 22 / 4; impressions for three: 750 / 3.
    assert "5.5 per post" in cards["Likes"]
    assert "250.0 per post" in cards["Impressions"]


def test_the_media_breakdown_shows_averages_and_the_rate_beside_totals(
    viewer_client: Client, posts
) -> None:
    rows = breakdown(viewer_client, "media")

    assert rows["With image"]["Engagement"] == "23"
    assert rows["With image"]["Per post"] == "11.5"  # 23 / 2
    assert rows["With image"]["Rate"] == "3.00 %"  # 15 / 500: post 3 has no impressions
    assert rows["Text only"]["Engagement"] == "10"
    assert rows["Text only"]["Per post"] == "10.0"  # 10 over the one post read
    assert rows["Text only"]["Rate"] == "2.00 %"  # 5 / 250: post 4's are not read


def test_a_row_without_impressions_known_shows_a_dash_never_a_division_by_zero(
    viewer_client: Client, posts
) -> None:
    rows = breakdown(viewer_client, "network")

    assert rows["LinkedIn"]["Rate"] == "2.67 %"  # 20 / 750
    assert rows["LinkedIn"]["Per post"] == "10.0"
    assert rows["Twitter"]["Rate"] == "—"  # impressions not reported
    assert rows["Facebook"]["Rate"] == "—"  # impressions never read
    assert rows["Facebook"]["Per post"] == "—"  # nor its shares


def test_one_name_on_three_networks_is_three_labelled_rows(viewer_client: Client, posts) -> None:
    rows = breakdown(viewer_client, "profile")

    assert set(rows) == {
        "Northwind Analytics · LinkedIn",
        "Northwind Analytics · Twitter",
        "Northwind Analytics · Facebook",
    }
    assert rows["Northwind Analytics · LinkedIn"]["Posts"] == "2"


def test_the_breakdown_csv_names_profiles_with_their_network(viewer_client: Client, posts) -> None:
    response = viewer_client.get(f"/stats/export.csv?{QUERY}&breakdown=profile")
    body = b"".join(response.streaming_content).decode()

    assert "Northwind Analytics · Twitter" in body
    assert "Northwind Analytics · Facebook" in body


def test_the_rate_is_the_same_whether_the_rollup_or_the_posts_answer(
    viewer_client: Client, posts
) -> None:
    ids = "&".join(f"profile={p.oktopost_id}" for p in posts.values())

    rolled = viewer_client.get(f"/stats/?{QUERY}")
    read = viewer_client.get(f"/stats/?{QUERY}&{ids}")

    assert rolled.context["from_rollup"] and not read.context["from_rollup"]
    assert read.context["rates"].current == rolled.context["rates"].current == 20 / 750 * 100
    assert read.context["rates"].previous is rolled.context["rates"].previous is None


def test_without_posts_or_impressions_there_is_no_rate_or_average() -> None:
    empty = Figures()
    unread = Figures(outcomes=2, likes=4, comments=1, unfetched_stats=2)

    assert engagement_rate(0, 0) is None and engagement_rate(12, 0) is None
    assert engagement_rate(8, 400) == 2.0
    assert empty.engagement_per_post is None and empty.per_post("clicks") is None
    assert unread.engagement_per_post is None
    assert unread.per_post("likes") == 2.0
