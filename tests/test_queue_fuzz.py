"""Arbitrary query strings at /posts/: always a page, never a 500, never the input as markup."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from posts.models import NETWORKS, Source, Status
from posts.queue import ALL, PRESETS, SIZES, SORTS
from tests import factories as f

pytestmark = pytest.mark.django_db

# The posts are made once per test function and only read by the examples. How many
# examples each test tries comes from the Hypothesis profile (tests/conftest.py).
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KNOWN_KEYS = (
    "preset",
    "status",
    "network",
    "profile",
    "campaign",
    "source",
    "created_by",
    "from",
    "to",
    "q",
    "sort",
    "size",
    "deleted",
    "page",
    "cursor",
)

# Markup that must never come back as markup: each marker, if echoed unescaped, leaves
# one of the TELLTALES in the page.
MARKERS = (
    "<zz-fuzz>",
    "<script>zzfuzz()</script>",
    '"><zz-fuzz x="',
    '" zz-fuzz="1',
    "' zz-fuzz='1",
    "</textarea></select><zz-fuzz>",
    "<img src=x onerror=zzfuzz()>",
)
TELLTALES = ("<zz-fuzz", "<script>zzfuzz", 'zz-fuzz="', "zz-fuzz='", "<img src=x")

# Any Unicode a browser can send (surrogates cannot be encoded in UTF-8), control
# characters included.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
marked = st.builds(lambda a, m, b: a + m + b, any_text, st.sampled_from(MARKERS), any_text)
huge = st.builds(
    lambda c, n: c * n, st.characters(exclude_categories=("Cs",)), st.integers(1_000, 20_000)
)
plausible = st.sampled_from(
    [
        *PRESETS,
        *dict(Status.choices),
        "stuck",
        *NETWORKS,
        *Source.values,
        *SORTS,
        *(f"-{s}" for s in SORTS),
        *(str(s) for s in SIZES),
        "1",
        "true",
        "on",
        "00A000000000001",
    ]
)
numbers = st.integers(min_value=-(10**30), max_value=10**30).map(str)
# Unicode digits pass str.isdigit() but not always int().
digits = st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=4)
dates = st.dates().map(lambda d: d.isoformat())
values = st.one_of(any_text, marked, huge, plausible, numbers, digits, dates)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), any_text)
pairs = st.lists(st.tuples(keys, values), max_size=12)


@pytest.fixture
def posts_of_every_kind(db) -> dict[str, str]:
    """A few posts of every kind, with ids the strategies can pick."""
    now = timezone.now()
    launch = f.campaign("Launch <b>big</b>")
    linkedin, twitter = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    hello = f.message("Hello <i>people</i>", "LinkedIn", launch)
    f.post(status="pending", start_at=now + timedelta(hours=3), profiles=[linkedin], msg=hello)
    f.post(status="inqueue", network="Twitter", profiles=[twitter], source="API")
    f.post(status="pending", start_at=now - timedelta(hours=2), profiles=[linkedin], msg=hello)
    f.post(status="complete", start_at=now - timedelta(days=1), profiles=[linkedin], clicks=4)
    f.post(status="error", start_at=now - timedelta(days=2), network="Twitter", camp=launch)
    f.post(status="draft", start_at=now + timedelta(days=8), created_by="00A000000000002")
    f.post(status="complete", start_at=now - timedelta(days=5), deleted_at=now)
    return {
        "profile": linkedin.oktopost_id,
        "campaign": launch.oktopost_id,
    }


@pytest.fixture
def tokyo_client(editor: User, posts_of_every_kind) -> Client:
    # Ahead of UTC (also in year 1): the first day of the calendar then starts
    # before the first instant a datetime can hold.
    editor.time_zone = "Asia/Tokyo"
    editor.save()
    client = Client()
    client.force_login(editor)
    return client


def assert_no_markup_from_the_input(html: str) -> None:
    for telltale in TELLTALES:
        assert telltale not in html, telltale


def assert_a_full_page(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<html" in html and 'id="post-rows"' in html
    assert_no_markup_from_the_input(html)
    return html


def assert_the_rows_partial(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="post-rows">')
    assert "<html" not in html
    assert_no_markup_from_the_input(html)
    return html


@FUZZ
@given(query=pairs)
@example(query=[("to", "9999-12-31")])
@example(query=[("from", "0001-01-01")])
@example(query=[("size", "²")])
@example(query=[("q", "<zz-fuzz>"), ("network", '" zz-fuzz="1')])
def test_any_query_string_gives_the_whole_page(tokyo_client: Client, query) -> None:
    assert_a_full_page(tokyo_client.get("/posts/?" + urlencode(query)))


@FUZZ
@given(query=pairs)
@example(query=[("to", "9999-12-31")])
@example(query=[("size", "²")])
def test_any_query_string_from_htmx_gives_only_the_rows(tokyo_client: Client, query) -> None:
    response = tokyo_client.get("/posts/?" + urlencode(query), headers={"HX-Request": "true"})
    assert_the_rows_partial(response)
    assert "HX-Request" in response["Vary"]


@FUZZ
@given(raw=st.text(st.characters(max_codepoint=255, exclude_categories=("Cs",)), max_size=300))
@example(raw="%")
@example(raw="%ZZ%%%=&&&;;=q=%00%0a&size=%C2%B2")
@example(raw="status=%FF%FE&network=%C0%AF")
def test_raw_malformed_query_strings_give_the_whole_page(tokyo_client: Client, raw: str) -> None:
    # Straight into the WSGI environ: what a server passes on, undecoded.
    assert_a_full_page(tokyo_client.get("/posts/", QUERY_STRING=raw))


@FUZZ
@given(
    query=st.lists(
        st.tuples(st.sampled_from(KNOWN_KEYS), st.one_of(plausible, any_text, dates, huge)),
        max_size=8,
    ),
    profile=st.booleans(),
)
@example(query=[("q", "a" * 199 + " b")], profile=False)
def test_what_was_kept_opens_the_same_filters_without_a_note(
    tokyo_client: Client, posts_of_every_kind: dict[str, str], query, profile: bool
) -> None:
    """The canonical query (links, pager, saved views) is a fixed point of the parser;
    otherwise page links made for it are refused as made for other filters."""
    if profile:
        query = [*query, *posts_of_every_kind.items()]
    first = tokyo_client.get("/posts/?" + urlencode(query))
    assert first.status_code == 200
    filters = first.context["filters"]
    # Every post, with no view, is written `preset=all`: a bare /posts/ opens at now.
    again = tokyo_client.get("/posts/?" + (filters.query() or f"preset={ALL}"))
    assert again.context["notes"] == []
    assert again.context["filters"] == filters
    rows = [r.post.oktopost_id for r in again.context["page"].rows]
    assert rows == [r.post.oktopost_id for r in first.context["page"].rows]


# The cases the properties above found, kept as plain examples.


@pytest.mark.parametrize("size", ["²", "①", "5²"])
def test_a_page_size_in_other_digits_is_ignored_with_a_note(
    tokyo_client: Client, size: str
) -> None:
    response = tokyo_client.get("/posts/?" + urlencode({"size": size}))
    assert response.status_code == 200
    assert response.context["filters"].size == 50
    assert any("page size" in note for note in response.context["notes"])


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01"])
def test_dates_at_the_ends_of_the_calendar_are_ignored_with_a_note(
    tokyo_client: Client, query: str
) -> None:
    response = tokyo_client.get("/posts/?" + query)
    assert response.status_code == 200
    assert response.context["notes"]


def test_the_next_page_of_a_long_search_cut_at_a_space_is_the_next_page(
    tokyo_client: Client,
) -> None:
    words = "a" * 199 + " b"
    message = f.message(words)
    for _ in range(30):
        f.post(status="draft", msg=message)
    first = tokyo_client.get("/posts/?" + urlencode({"q": words, "size": 25}))
    assert len(first.context["page"].rows) == 25
    second = tokyo_client.get("/posts/?" + first.context["next_query"])
    assert second.context["notes"] == []
    assert len(second.context["page"].rows) == 5
