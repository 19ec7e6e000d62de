"""Issue 29 on the stats page, a post's detail and the status bar: changes coloured by
what they mean, complete days compared with complete days, a heatmap that does not
trust one post, and refresh times that are never in the past."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client

from core import terms
from core.terms import COUNTERS
from posts.models import Post, SyncState
from posts.status import sync_status
from reports import charts
from reports.ranges import PRESETS, parse_range
from reports.selectors import STATUS_COUNTS
from tests import factories as f

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


class Cards(HTMLParser):
    """The totals' cards as a person reads them: label -> (delta classes, delta words)."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, tuple[set[str], str]] = {}
        self._label: str | None = None
        self._in: str = ""
        self._classes: set[str] = set()
        self._words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "article" and "stat-card" in classes:
            self._label = ""
        elif tag == "header" and self._label == "":
            self._in, self._words = "header", []
        elif tag == "p" and "stat-delta" in classes:
            self._in, self._classes, self._words = "delta", classes, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "header" and self._in == "header":
            self._label, self._in = " ".join("".join(self._words).split()), ""
        elif tag == "p" and self._in == "delta":
            self.cards[self._label] = (self._classes, " ".join("".join(self._words).split()))
            self._in = ""
        elif tag == "article":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._words.append(data)


def cards_of(response) -> dict[str, tuple[set[str], str]]:
    parser = Cards()
    parser.feed(response.content.decode())
    return parser.cards


def paris_client(user) -> Client:
    user.time_zone = "Europe/Paris"
    user.save()
    client = Client()
    client.force_login(user)
    return client


# --- 1. failures are bad news -------------------------------------------------------------


def test_every_figure_the_page_compares_has_a_polarity_and_failures_are_bad() -> None:
    assert set(terms.POLARITY) == {*COUNTERS, "engagement", *STATUS_COUNTS}
    assert terms.change_tone("failed", 9) == terms.change_tone("partly", 6) == "bad"
    assert terms.change_tone("failed", -2) == "good"
    assert terms.change_tone("clicks", 5) == "good" and terms.change_tone("clicks", -5) == "bad"
    assert terms.change_tone("failed", 0) == "" and terms.change_tone("unknown", 3) == ""


def test_more_failures_is_red_and_fewer_is_green_on_the_page(viewer) -> None:
    client = paris_client(viewer)
    with time_machine.travel(datetime(2026, 11, 20, 15, 0, tzinfo=PARIS), tick=False):
        # Yesterday: 3 failed, 1 partly failed, 1 sent; the day before (the period
        # compared): 1 failed, 2 partly failed, 2 sent.
        for days, status in [(1, "error")] * 3 + [(1, "incomplete"), (1, "complete")]:
            at = datetime(2026, 11, 20 - days, 10, tzinfo=PARIS)
            f.post(status=status, start_at=at, clicks=2)
        for status in ("error", "incomplete", "incomplete", "complete", "complete"):
            f.post(status=status, start_at=datetime(2026, 11, 18, 10, tzinfo=PARIS), clicks=5)
        cards = cards_of(client.get("/stats/?from=2026-11-19&to=2026-11-19"))
    assert cards["Failed"][1].startswith("▲ +2") and "bad" in cards["Failed"][0]
    assert "(worse)" in cards["Failed"][1]
    assert cards["Partly failed"][1].startswith("▼ -1") and "good" in cards["Partly failed"][0]
    assert cards["Clicks"][1].startswith("▼ -15") and "bad" in cards["Clicks"][0]
    assert cards["Sent"][1].startswith("▼ -1") and "bad" in cards["Sent"][0]


# --- 2. complete days -----------------------------------------------------------------------


@pytest.mark.parametrize("hour", [0, 1, 9, 12, 23])
@pytest.mark.parametrize("preset", list(PRESETS))
def test_presets_end_yesterday_at_any_hour_of_the_day(preset: str, hour: int) -> None:
    today = date(2026, 12, 16)
    with time_machine.travel(datetime.combine(today, time(hour, 30), tzinfo=PARIS)):
        notes: list[str] = []
        period = parse_range(preset, "", "", today=today, zone=PARIS, notes=notes)
    assert period.last < today and not period.partial
    assert not [note for note in notes if "clocks change" not in note]
    assert period.previous().last == period.first - timedelta(days=1)


def test_a_range_into_today_ends_yesterday_with_a_note_and_today_alone_is_partial() -> None:
    today = date(2026, 12, 16)
    notes: list[str] = []
    period = parse_range("", "2026-12-10", "2026-12-31", today=today, zone=PARIS, notes=notes)
    assert (period.first, period.last, period.partial) == (
        date(2026, 12, 10),
        date(2026, 12, 15),
        False,
    )
    assert "complete days only, up to 15 Dec 2026" in notes[0]
    notes = []
    alone = parse_range("", "2026-12-16", "2026-12-16", today=today, zone=PARIS, notes=notes)
    assert alone.partial and not notes
    first_of_month = parse_range(
        "this-month", "", "", today=date(2026, 12, 1), zone=PARIS, notes=[]
    )
    assert first_of_month.partial and first_of_month.first == date(2026, 12, 1)


# Paris: 23:59 and 00:01 around midnight, the morning after the clocks went forward
# (29 March, a 23-hour day) and back (25 October, 25 hours), and late in the day.
@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 30, 0, 1, tzinfo=PARIS),
        datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),
        datetime(2026, 10, 25, 23, 59, tzinfo=PARIS),
        datetime(2026, 10, 26, 12, 0, tzinfo=PARIS),
        datetime(2026, 6, 10, 18, 45, tzinfo=PARIS),
    ],
)
def test_last_7_days_compares_7_whole_days_with_7_whole_days(viewer, now: datetime) -> None:
    client = paris_client(viewer)
    today = now.date()
    with time_machine.travel(now, tick=False):
        # One post at 00:30 and one at 23:30 of every local day, 20 days back, and
        # posts earlier today: today's posts are not counted, whatever the hour.
        for back in range(1, 21):
            day = today - timedelta(days=back)
            for at in (time(0, 30), time(23, 30)):
                f.post(
                    status="complete", start_at=datetime.combine(day, at, tzinfo=PARIS), clicks=3
                )
        f.post(status="error", start_at=now - timedelta(minutes=1), clicks=50)
        response = client.get("/stats/?range=7d")
    period = response.context["period"]
    assert period.last == today - timedelta(days=1) and period.days == 7
    deltas = {d.key: d for d in response.context["totals"].deltas}
    assert (deltas["clicks"].now, deltas["clicks"].before) == (42, 42)
    assert deltas["failed"].now == 0
    days = response.context["days"]
    assert [d.posts for d in days] == [2] * 7  # no partial day at the end of the trend
    assert days[-1].day == today - timedelta(days=1)
    page = response.content.decode()
    assert "Complete days only (today counts once it is over)" in page
    assert "compared with the 7 days before" in page


def test_a_range_of_today_says_so_far_and_compares_nothing(viewer) -> None:
    client = paris_client(viewer)
    now = datetime(2026, 12, 1, 11, 0, tzinfo=PARIS)
    with time_machine.travel(now, tick=False):
        f.post(status="complete", start_at=now - timedelta(hours=2), clicks=7)
        f.post(status="complete", start_at=now - timedelta(days=1), clicks=70)
        response = client.get("/stats/?range=this-month")
    page = response.content.decode()
    assert "Today is not over: these are its figures so far" in page
    cards = cards_of(response)
    assert cards["Clicks"][1] == "so far today"
    assert response.context["value_chart"].previous == ""
    assert "(so far)" in response.context["value_chart"].x_ticks[-1].label


# --- 3. the heatmap -------------------------------------------------------------------------


def test_a_cell_with_one_post_never_takes_the_darkest_shade() -> None:
    cells = [(1, 900.0), (12, 8.0), (5, 4.0), (2, 8.0), (0, None)]
    top = charts.heat_top(cells)
    assert top == 8.0  # the lucky post does not set the scale
    levels = [charts.heat_level(median, top, posts) for posts, median in cells]
    assert levels == [charts.THIN_LEVEL, 5, 3, charts.THIN_LEVEL, 0]
    # Thin cells only: the scale comes from them, and none is darker than THIN_LEVEL.
    assert charts.heat_top([(1, 3.0), (2, 6.0)]) == 6.0
    assert charts.heat_level(6.0, 6.0, 1) == charts.THIN_LEVEL


def test_the_heatmap_marks_thin_cells_and_explains_them(viewer_client: Client, viewer) -> None:
    monday_9 = datetime(2026, 11, 16, 9, 15, tzinfo=viewer.zone)
    for likes in (4, 5, 6, 5):
        f.post(status="complete", start_at=monday_9, likes=likes)
    f.post(status="complete", start_at=monday_9 + timedelta(days=5, hours=13), likes=900)
    response = viewer_client.get(
        "/stats/part/heatmap/?from=2026-11-16&to=2026-11-22", headers={"HX-Request": "true"}
    )
    rows = response.context["heat_rows"]
    _, level, _, thin = rows[0].cells[9]
    assert (level, thin) == (5, False)
    _, level, _, thin = rows[5].cells[22]
    assert level <= charts.THIN_LEVEL and thin
    page = response.content.decode()
    assert "fewer than 3 posts: too few to trust" in page
    # The legend's words hold in both schemes: dark draws the strongest shade lightest.
    assert "the strongest shade: a median of about 5" in page
    legend = page.split('id="heat-legend"', 1)[1].split("</p>", 1)[0]
    assert "dark" not in legend.lower(), legend
    assert page.count("<table") == 2  # midnight to noon, noon to midnight
    assert "Noon to midnight" in page


# --- 4. small things --------------------------------------------------------------------------


def test_a_refresh_due_in_the_past_reads_due_now(viewer_client: Client) -> None:
    now = datetime(2026, 12, 6, 11, 26, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        post = f.post(status="complete", start_at=now - timedelta(hours=5))
        Post.objects.filter(id=post.id).update(stats_due_at=now - timedelta(minutes=2))
        late = viewer_client.get(f"/posts/{post.oktopost_id}/").content.decode()
        Post.objects.filter(id=post.id).update(stats_due_at=now + timedelta(minutes=30))
        ahead = viewer_client.get(f"/posts/{post.oktopost_id}/stats/").content.decode()
    assert "Next refresh due about" not in late and "Next refresh: due now" in late
    assert "Next refresh due about" in ahead


def test_never_fetched_numbers_say_so_in_plain_words(viewer_client: Client) -> None:
    post = f.post(status="complete", counters_at=None, stats_at=None)
    page = viewer_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert "as of never" not in page
    assert "Shares and impressions: not fetched from Oktopost yet." in page
    assert "Clicks to likes: not fetched from Oktopost yet." in page


def test_the_status_bar_never_shows_a_next_sync_in_the_past(db) -> None:
    now = datetime(2026, 12, 6, 12, 26, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        SyncState.objects.create(name="posts", last_success=now - timedelta(hours=1))
        status = sync_status()
        assert status.next_sync < now and status.sync_due_now
        from django.template.loader import render_to_string

        bar = render_to_string("status_bar.html", {"sync_status": status})
        assert "next sync due now" in bar and "next about" not in bar
        SyncState.objects.filter(name="posts").update(last_success=now)
        fresh = sync_status()
        assert not fresh.sync_due_now
        assert "next about" in render_to_string("status_bar.html", {"sync_status": fresh})


def test_a_large_median_fits_its_cell_in_four_characters() -> None:
    from reports.templatetags.stats_tags import short

    assert [short(v) for v in (7.0, 2.5, 940.0, 1406.0, 9999.0, 12_400.0, 3_100_000.0)] == [
        "7",
        "3",
        "940",
        "1.4k",
        "10k",
        "12k",
        "3.1M",
    ]
    assert short(None) == ""
