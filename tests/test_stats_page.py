"""/stats/: totals and deltas, breakdowns that add up to the queue, ranges, freshness."""

import zoneinfo
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from posts.models import OktopostUser, Post
from reports.ranges import Period, parse_range
from tests import factories as f

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def data(db):
    """Posts over the last 60 days in two networks, campaigns and profiles."""
    now = timezone.now()
    launch, brand = f.campaign("Launch"), f.campaign("Brand")
    li, tw = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    hello = f.message("Hello LinkedIn", "LinkedIn", launch)
    tweet = f.message("=HYPERLINK(evil)", "Twitter", brand)
    statuses = ["complete", "complete", "error", "incomplete", "pending", "complete"]
    posts = []
    for i in range(60):
        twitter = i % 3 == 0
        posts.append(
            f.post(
                status=statuses[i % len(statuses)],
                start_at=now - timedelta(days=i, hours=2),
                network="Twitter" if twitter else "LinkedIn",
                profiles=[tw] if twitter else [li, tw],
                msg=tweet if twitter else hello,
                camp=brand if twitter else launch,
                created_by="00A000000000001" if i % 2 else "00A000000000002",
                clicks=i % 7,
                conversions=i % 2,
                comments=i % 3,
                likes=i % 5,
                shares=i % 4,
                impressions=10 * i,
                stats_at=now,
            )
        )
    Post.objects.filter(id__in=[p.id for p in posts[::4]]).update(media_kind="image")
    Post.objects.filter(id__in=[p.id for p in posts[1::8]]).update(media_kind="video")
    OktopostUser.objects.create(oktopost_id="00A000000000001", name="Jane Doe")
    return {"posts": posts, "launch": launch, "li": li, "tw": tw, "hello": hello}


def _sums(posts, lo, hi):
    chosen = [p for p in posts if lo <= p.start_at < hi]
    sums = {k: sum(getattr(p, k) for p in chosen) for k in ("clicks", "likes", "impressions")}
    sums["sent"] = sum(p.status == "complete" for p in chosen)
    sums["failed"] = sum(p.status == "error" for p in chosen)
    sums["partly"] = sum(p.status == "incomplete" for p in chosen)
    return sums


@pytest.mark.dates
def test_totals_and_deltas_match_sums_computed_here(viewer_client: Client, viewer, data) -> None:
    response = viewer_client.get("/stats/?range=7d")
    assert response.status_code == 200
    zone = viewer.zone
    period = response.context["period"]
    lo, hi = period.bounds(zone)
    plo, phi = period.previous().bounds(zone)
    assert phi == lo and period.days == 7
    now_sums, before = _sums(data["posts"], lo, hi), _sums(data["posts"], plo, phi)
    deltas = {d.key: d for d in response.context["totals"].deltas}
    for key in now_sums:
        assert deltas[key].now == now_sums[key], key
        assert deltas[key].before == before[key], key
        assert deltas[key].change == now_sums[key] - before[key]


def yesterday_noon(zone) -> datetime:
    """A moment of yesterday, the last day a range counts (complete days, issue 29)."""
    today = timezone.localtime(timezone.now(), zone).date()
    return datetime.combine(today - timedelta(days=1), time(12), tzinfo=zone)


@pytest.mark.dates
def test_an_empty_previous_period_says_new(viewer_client: Client, viewer) -> None:
    f.post(status="complete", start_at=yesterday_noon(viewer.zone), clicks=4)
    response = viewer_client.get("/stats/?range=7d")
    clicks = next(d for d in response.context["totals"].deltas if d.key == "clicks")
    assert (clicks.now, clicks.before, clicks.new, clicks.percent) == (4, 0, True, None)
    assert "new" in response.content.decode()


def test_a_counter_never_fetched_is_not_yet_never_zero(viewer_client: Client, viewer) -> None:
    f.post(status="complete", start_at=yesterday_noon(viewer.zone), counters_at=None)
    response = viewer_client.get("/stats/?range=7d")
    deltas = {d.key: d for d in response.context["totals"].deltas}
    assert not deltas["clicks"].known and not deltas["impressions"].known
    assert "not yet" in response.content.decode()


def part(client: Client, name: str, query: str):
    """A section the page fills in after it loads (htmx), as the page asks for it."""
    page = client.get(f"/stats/?{query}")
    assert (
        f'hx-get="/stats/part/{name}/' in page.content.decode() or name not in page.context["lazy"]
    )
    response = client.get(f"/stats/part/{name}/?{query}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response


def bars_of(client: Client, query: str) -> tuple[list, str]:
    """The main breakdown's rows: on the page (from the rollup) or filled in later."""
    page = client.get(f"/stats/?{query}")
    if "breakdown" in page.context["lazy"]:
        found = part(client, "breakdown", query)
        return found.context["bars"], found.content.decode()
    return page.context["bars"], page.content.decode()


@pytest.mark.parametrize(
    "dimension", ["network", "profile", "campaign", "creator", "message", "media"]
)
def test_every_breakdown_row_links_to_a_queue_view_that_adds_up(
    viewer_client: Client, data, dimension
) -> None:
    bars, html = bars_of(viewer_client, f"range=30d&by={dimension}")
    assert bars
    for bar in bars:
        assert bar.queue_query, bar.row.label
        queue = viewer_client.get(f"/posts/?{bar.queue_query}&size=100")
        rows = [r.post for r in queue.context["page"].rows]
        assert queue.context["notes"] == []
        assert len(rows) == bar.row.figures.posts
        assert sum(p.clicks for p in rows) == bar.row.figures.clicks
        assert sum(p.impressions for p in rows) == bar.row.figures.impressions
        assert f"/posts/?{bar.queue_query}".replace("&", "&amp;") in html


def test_media_breakdown_compares_images_videos_and_text(viewer_client: Client, data) -> None:
    """Its rows are the queue's media= filters (each adds up: the test above)."""
    bars, _ = bars_of(viewer_client, "range=30d&by=media")
    assert {bar.row.label: bar.row.key for bar in bars} == {
        "With image": "image",
        "With video": "video",
        "Text only": "none",
    }


def test_creators_show_by_name(viewer_client: Client, data) -> None:
    labels = {bar.row.label for bar in bars_of(viewer_client, "by=creator")[0]}
    assert "Jane Doe" in labels and "00A000000000001" not in labels


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-05-01&to=2026-01-01",
        "from=0001-01-01&to=9999-12-31",
        "from=1971-01-01&to=2150-01-01",
        "from=yesterday&to=%00",
        "range=forever",
        "from=2026-03-01",
        "to=2026-03-01",
        "by=%3Cscript%3E&order=DROP&counter=x",
        "network=Myspace&campaign=nope&status=lost",
        "q=" + "x" * 500,
        "range=7d&from=2026-01-01&to=2026-01-31",
    ],
)
def test_bad_queries_get_a_note_and_a_page_never_a_500(viewer_client: Client, data, query) -> None:
    response = viewer_client.get(f"/stats/?{query}")
    assert response.status_code == 200
    assert response.context["notes"]
    assert response.context["period"].days <= 731


@pytest.mark.dates
def test_a_reversed_range_is_swapped_and_a_long_one_cut_to_two_years() -> None:
    notes: list[str] = []
    zone = zoneinfo.ZoneInfo("UTC")
    period = parse_range(
        "", "2026-05-01", "2026-01-01", today=date(2026, 6, 1), zone=zone, notes=notes
    )
    assert (period.first, period.last) == (date(2026, 1, 1), date(2026, 5, 1))
    period = parse_range(
        "", "2020-01-01", "2026-01-01", today=date(2026, 6, 1), zone=zone, notes=notes
    )
    assert period.days == 731 and period.last == date(2026, 1, 1)


@pytest.mark.dates
def test_a_range_across_a_dst_change_is_whole_local_days_with_a_note() -> None:
    notes: list[str] = []
    period = parse_range(
        "", "2026-03-28", "2026-03-30", today=date(2026, 6, 1), zone=PARIS, notes=notes
    )
    lo, hi = period.bounds(PARIS)
    utc = zoneinfo.ZoneInfo("UTC")
    assert hi.astimezone(utc) - lo.astimezone(utc) == timedelta(hours=71)  # 29 March: 23 h
    assert any("clocks change on 29 Mar 2026" in n for n in notes)


@pytest.mark.dates
def test_the_trend_counts_posts_on_their_local_day_across_dst(db, viewer) -> None:
    viewer.time_zone = "Europe/Paris"
    viewer.save()
    client = Client()
    client.force_login(viewer)
    # 23:30 local on 28 March (UTC+1) and 00:30 local on 30 March (UTC+2).
    late = datetime(2026, 3, 28, 22, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    early = datetime(2026, 3, 29, 22, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    for when in (late, early):
        f.post(status="complete", start_at=when, clicks=1)
    response = client.get("/stats/?from=2026-03-28&to=2026-03-30")
    days = {d.day: d.posts for d in response.context["days"]}
    assert days == {date(2026, 3, 28): 1, date(2026, 3, 29): 0, date(2026, 3, 30): 1}
    grid = part(client, "heatmap", "from=2026-03-28&to=2026-03-30").context["heat_rows"]
    assert grid[5].cells[23][0].posts == 1  # Saturday 23:00
    assert grid[0].cells[0][0].posts == 1  # Monday 00:00


@pytest.mark.dates
def test_heatmap_cells_hold_the_median_and_the_count(viewer_client: Client, viewer, db) -> None:
    monday_9 = datetime(2026, 11, 16, 9, 15, tzinfo=viewer.zone)
    for likes in (1, 5, 100):
        f.post(status="complete", start_at=monday_9, likes=likes)
    f.post(status="complete", start_at=monday_9 + timedelta(days=1), likes=2)
    f.post(status="complete", start_at=monday_9 + timedelta(days=1), likes=4)
    rows = part(viewer_client, "heatmap", "from=2026-11-16&to=2026-11-22").context["heat_rows"]
    assert rows[0].cells[9][0].posts == 3 and rows[0].cells[9][0].median == 5
    assert rows[1].cells[9][0].median == 3
    assert rows[2].cells[9][0].posts == 0 and rows[2].cells[9][0].median is None


def test_top_posts_link_to_their_detail(viewer_client: Client, data) -> None:
    response = part(viewer_client, "top", "range=30d")
    lists = {key: entries for key, _, entries in response.context["top_lists"]}
    best = lists["clicks"][0][0]
    in_range = [p for p in data["posts"] if p.status in ("complete", "incomplete", "error")]
    assert lists["clicks"][0][1] == max(
        p.clicks for p in in_range if p.start_at > timezone.now() - timedelta(days=30)
    )
    assert f"/posts/{best.oktopost_id}/" in response.content.decode()


def test_the_page_costs_at_most_15_queries(
    viewer_client: Client, data, django_assert_max_num_queries
) -> None:
    viewer_client.get("/stats/")  # caches: filter choices, user names
    for query in ("range=90d", "range=90d&network=LinkedIn&by=message"):
        with django_assert_max_num_queries(15):
            response = viewer_client.get(f"/stats/?{query}")
        assert response.status_code == 200
        for name in response.context["lazy"]:
            with django_assert_max_num_queries(15):
                found = viewer_client.get(
                    f"/stats/part/{name}/?{query}", headers={"HX-Request": "true"}
                )
            assert found.status_code == 200


def test_filters_live_in_the_url(viewer_client: Client, data) -> None:
    launch = data["launch"].oktopost_id
    response = viewer_client.get(f"/stats/?range=last-month&network=LinkedIn&campaign={launch}")
    sq = response.context["sq"]
    assert sq.filters.networks == ("LinkedIn",) and sq.period.preset == "last-month"
    assert parse_qs(sq.query()) == {
        "network": ["LinkedIn"],
        "campaign": [launch],
        "range": ["last-month"],
    }


def test_a_page_without_posts_renders(viewer_client: Client, db) -> None:
    response = viewer_client.get("/stats/")
    assert response.status_code == 200
    assert "Loading…" in response.content.decode()
    heat = part(viewer_client, "heatmap", "")
    assert "No sent posts in this range yet" in heat.content.decode()


def test_outsiders_are_refused_and_anonymous_users_sent_to_log_in(db, outsider) -> None:
    client = Client()
    assert urlsplit(client.get("/stats/").url).path == "/accounts/login/"
    client.force_login(outsider)
    assert client.get("/stats/").status_code == 403
    assert client.get("/stats/part/top/").status_code == 403


def test_the_page_has_no_inline_script_or_style(viewer_client: Client, data) -> None:
    body = viewer_client.get("/stats/").content.decode()
    assert "style=" not in body and "<style" not in body
    assert "<script>" not in body and " on" + "click=" not in body


@pytest.mark.dates
def test_previous_period_is_as_long_and_just_before() -> None:
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert period.previous() == Period(date(2026, 1, 29), date(2026, 2, 28))


def test_the_demo_data_fills_the_page_after_the_first_sync(viewer_client: Client, mirror) -> None:
    """What `make run` shows once its first sync is done: numbers, not an empty page."""
    response = viewer_client.get("/stats/?range=30d")
    totals = response.context["totals"].current
    assert totals.sent > 0 and totals.clicks > 0
    assert response.context["bars"]
    assert part(viewer_client, "heatmap", "range=30d").context["heat_any"]
    names = {bar.row.label for bar in bars_of(viewer_client, "by=creator")[0]}
    assert not any(name.startswith("00A") for name in names)


@pytest.mark.dates
def test_the_trend_adds_up_to_the_totals(viewer_client: Client, data) -> None:
    response = viewer_client.get("/stats/?range=30d&counter=likes")
    days = response.context["days"]
    current = response.context["totals"].current
    previous = response.context["totals"].previous
    assert sum(d.value for d in days) == current.likes
    assert sum(d.before_value for d in days) == previous.likes
    assert sum(d.posts for d in days) == current.outcomes


@pytest.mark.dates
def test_top_posts_are_the_five_best_sent_posts_of_the_range(viewer_client: Client, data) -> None:
    response = part(viewer_client, "top", "range=30d")
    since = response.context["period"].bounds(response.context["zone"])[0]
    sent = [
        p
        for p in data["posts"]
        if p.status in ("complete", "incomplete", "error") and p.start_at >= since
    ]
    lists = {key: entries for key, _, entries in response.context["top_lists"]}
    for key, value in (
        ("clicks", lambda p: p.clicks),
        ("conversions", lambda p: p.conversions),
        ("engagement", lambda p: p.comments + p.likes + p.shares),
    ):
        expected = sorted(sent, key=lambda p, v=value: (-v(p), -p.id))[:5]
        expected = [p.oktopost_id for p in expected if value(p)]
        assert [p.oktopost_id for p, _ in lists[key]] == expected, key


@pytest.mark.parametrize("name", ["breakdown", "messages", "top", "heatmap"])
def test_each_later_section_opens_on_its_own_page_without_script(
    viewer_client: Client, data, name
) -> None:
    page = viewer_client.get("/stats/?range=90d&by=campaign")
    link = f"/stats/part/{name}/?range=90d&amp;by=campaign"
    assert f'href="{link}"' in page.content.decode()
    alone = viewer_client.get(link.replace("&amp;", "&"))
    body = alone.content.decode()
    assert alone.status_code == 200 and "<html" in body and 'id="stats-' in body
    assert "Back to the stats of" in body


def test_an_unknown_section_is_404_and_sections_need_a_login(viewer_client: Client, db) -> None:
    assert viewer_client.get("/stats/part/nope/").status_code == 404
    response = Client().get("/stats/part/top/")
    assert urlsplit(response.url).path == "/accounts/login/"


def test_the_default_page_reads_the_rollup_and_fills_in_the_rest(
    viewer_client: Client, data
) -> None:
    response = viewer_client.get("/stats/?range=90d")
    assert response.context["from_rollup"]
    assert response.context["lazy"] == ["messages", "top", "heatmap", "followers"]
    body = response.content.decode()
    assert 'id="breakdown-table"' in body
    for name in response.context["lazy"]:
        assert f'hx-get="/stats/part/{name}/?range=90d"' in body
        assert 'hx-trigger="load"' in body
    # A campaign is served by the rollup's rows per campaign now; words are not.
    campaign = viewer_client.get("/stats/?range=90d&campaign=" + data["launch"].oktopost_id)
    assert campaign.context["from_rollup"]
    words = viewer_client.get("/stats/?range=90d&q=launch")
    assert not words.context["from_rollup"]
