"""Reads for pages: everything here comes from the local mirror (and the shared budget)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone

from oktodash.infra import cache_get, cache_set, outages
from oktopost.limiter import Budget
from posts.connection import get_limiter
from posts.heartbeat import WORKER_QUIET_AFTER, worker_seen_at
from posts.localtime import BadLocalTime, as_local, is_ambiguous, local_to_utc, parse_local
from posts.models import (
    SENT_STATUSES,
    STUCK_AFTER,
    UNSENT_STATUSES,
    WAITING_STATUSES,
    Activity,
    Campaign,
    Delivery,
    Message,
    Post,
    Profile,
    SavedView,
    SyncState,
    web_url,
)
from posts.networks import NETWORK_LIMITS, YOUTUBE_TITLE_LIMIT, characters_used
from posts.queue import MAX_TEXT, STUCK, Cursor, QueueFilters, search_words


@dataclass(frozen=True)
class SyncStatus:
    last_sync: datetime | None
    last_error: str
    last_error_at: datetime | None
    next_sync: datetime | None
    budget: Budget | None
    worker_seen: datetime | None
    now: datetime
    outages: list[str]  # the cache or task queue, down, in words

    @property
    def blocked_until(self) -> datetime | None:
        until = self.budget.blocked_until_datetime if self.budget else None
        return until if until and until > self.now else None

    @property
    def failing(self) -> bool:
        """The latest sync attempt failed (Oktopost down, answering garbage...)."""
        return bool(
            self.last_error_at and (not self.last_sync or self.last_error_at > self.last_sync)
        )

    @property
    def failing_for(self) -> timedelta | None:
        """How long syncs have been failing: since the last success (or ever)."""
        if not self.failing:
            return None
        return self.now - (self.last_sync or self.last_error_at)

    @property
    def failing_long(self) -> bool:
        limit = timedelta(minutes=settings.SYNC_FAILING_AFTER_MINUTES)
        return self.failing_for is not None and self.failing_for > limit

    @property
    def worker_quiet(self) -> bool:
        return self.worker_seen is None or self.now - self.worker_seen > WORKER_QUIET_AFTER

    @property
    def budget_percent(self) -> int:
        if not self.budget or not self.budget.limit_today:
            return 0
        return round(100 * self.budget.used_today / self.budget.limit_today)


def sync_status() -> SyncStatus:
    now = timezone.now()
    state = SyncState.objects.filter(name="posts").first()
    try:
        budget = get_limiter().report()
    except Exception:  # the status bar must render even when Redis is down
        budget = None
    last_sync = state.last_success if state else None
    every = timedelta(seconds=settings.CELERY_BEAT_SCHEDULE["sync-posts"]["schedule"])
    worker_seen = worker_seen_at()
    return SyncStatus(
        last_sync=last_sync,
        last_error=state.last_error if state else "",
        last_error_at=state.last_error_at if state else None,
        next_sync=(last_sync + every) if last_sync else None,
        budget=budget,
        worker_seen=worker_seen,
        now=now,
        outages=outages(),
    )


# --- searching messages' text ----------------------------------------------------------

# The full-text index of each database: posts/migrations/0004_message_search.py.
_SQLITE_MATCHING_IDS = "SELECT rowid FROM posts_message_fts WHERE posts_message_fts MATCH %s"
_SQLITE_MATCHING = (
    "SELECT oktopost_id FROM posts_message"  # noqa: S608 (constants only)
    f" WHERE id IN ({_SQLITE_MATCHING_IDS})"
)
# SQLite walks the posts in the page's order once 1 message in WALK_AFTER matches (the
# two plans cost the same at about 1 in 70 at 1M posts, 1 in 30 at 200k). One query
# answers it from the index, reading no more matches than that; the highest message id
# stands for the number of messages.
WALK_AFTER = 50
_SQLITE_MANY = (
    "SELECT count(*) >= (SELECT coalesce(max(id), 0) / %s + 1 FROM posts_message) FROM ("  # noqa: S608
    f"{_SQLITE_MATCHING_IDS} LIMIT (SELECT coalesce(max(id), 0) / %s + 1 FROM posts_message))"
)
_POSTGRESQL_MATCHING = (
    "SELECT oktopost_id FROM posts_message"
    " WHERE search_vector @@ to_tsquery('simple'::regconfig, %s)"
)


def _sqlite_match(words: list[str]) -> str:
    # "word"* is a prefix query for one term; terms side by side must all match.
    return " ".join(f'"{word}"*' for word in words)


def posts_matching(words: list[str]) -> Q | Exists:
    """A filter of posts whose message matches `words` (see `messages_matching`).

    FTS5 tells SQLite's planner nothing of how many messages match, so it always starts
    from them and sorts every matching post: 1.1 s for "webinar" (one message in seven)
    at 200k posts. When many match, walking the posts in the page's order and checking
    each finds a page's worth sooner (7 ms); when few do, starting from them is the
    fast way (under 1 ms for one message, where the walk reads the whole table).
    PostgreSQL estimates matches from the index's statistics and chooses by itself.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            match = _sqlite_match(words)
            cursor.execute(_SQLITE_MANY, [WALK_AFTER, match, WALK_AFTER])
            many = bool(cursor.fetchone()[0])
        if many:
            ids = RawSQL(_SQLITE_MATCHING_IDS, [match])  # noqa: S611 (words as a parameter)
            return Exists(Message.objects.filter(oktopost_id=OuterRef("message_id"), id__in=ids))
    return Q(message_id__in=messages_matching(words))


def messages_matching(words: list[str]) -> RawSQL | QuerySet[Message]:
    """The `oktopost_id`s of messages whose text has, for each word, a word starting with
    it (case-insensitive; see `posts.queue.search_words`), from the full-text index.

    The words come from `search_words`, letters and digits only, and are still passed as
    query parameters, each quoted as a term: nothing typed is ever read as FTS5 or
    tsquery syntax (`NEAR`, `*`, `-`, `"`, `:`, `&`, `!`).
    """
    if connection.vendor == "sqlite":
        return RawSQL(_SQLITE_MATCHING, [_sqlite_match(words)])  # noqa: S611 (words as a parameter)
    if connection.vendor == "postgresql":
        # 'word':* is a prefix match; to_tsquery lower-cases each the way to_tsvector
        # lower-cased the text, whatever the database's locale.
        query = " & ".join(f"'{word}':*" for word in words)
        return RawSQL(_POSTGRESQL_MATCHING, [query])  # noqa: S611 (words as a parameter)
    found = Message.objects.all()
    for word in words:
        found = found.filter(text__icontains=word)
    return found.values("oktopost_id")


# --- the queue ---------------------------------------------------------------------

# Counting stops here: enough to tell "a few" from "many" at any table size.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class QueuePage:
    rows: list[Post]
    count: int
    count_exact: bool
    next_cursor: Cursor | None
    prev_cursor: Cursor | None
    first: bool


def queue_queryset(filters: QueueFilters, *, now: datetime, zone) -> QuerySet[Post]:
    """Every post the filters select, unordered."""
    posts = Post.objects.all()
    if not filters.deleted:
        posts = posts.filter(deleted_at__isnull=True)
    statuses = filters.effective_statuses()
    if filters.preset and not statuses:
        return posts.none()
    if statuses:
        plain = [s for s in statuses if s != STUCK]
        match = Q(status__in=plain) if plain else Q(pk__in=[])
        if STUCK in statuses:
            match |= Q(status__in=WAITING_STATUSES, start_at__lt=now - STUCK_AFTER)
        elif set(plain) & set(WAITING_STATUSES) and filters.preset == "upcoming":
            match &= Q(start_at__gte=now - STUCK_AFTER)
        posts = posts.filter(match)
        if set(statuses) <= {*SENT_STATUSES, STUCK}:
            # Sent and stuck posts all lie in the past: saying so lets the database
            # start its walk of the (start_at, id) index at now, not at the newest
            # scheduled post, skipping a month of future posts at every page.
            posts = posts.filter(start_at__lte=now)
    if filters.networks:
        posts = posts.filter(network__in=filters.networks)
    if filters.campaigns:
        posts = posts.filter(campaign_id__in=filters.campaigns)
    if filters.sources:
        posts = posts.filter(source__in=filters.sources)
    if filters.created_by:
        posts = posts.filter(created_by__in=filters.created_by)
    if filters.profiles:
        targets = Delivery.objects.filter(post=OuterRef("pk"), profile_id__in=filters.profiles)
        posts = posts.filter(Exists(targets))
    lo, hi = filters.start_range(zone)
    if lo:
        posts = posts.filter(start_at__gte=lo)
    if hi:
        posts = posts.filter(start_at__lt=hi)
    if filters.q and (words := search_words(filters.q)):
        posts = posts.filter(posts_matching(words))
    return posts


def queue_page(
    filters: QueueFilters,
    cursor: Cursor | None,
    *,
    now: datetime,
    zone,
    profiles: dict[str, Profile],
) -> QueuePage:
    """One page by keyset on (sort field, id): the cost does not grow with depth."""
    field_name = filters.sort_field
    base = queue_queryset(filters, now=now, zone=zone)
    # Going backwards reads the keyset the other way round, then flips the rows.
    descending = filters.descending != bool(cursor and cursor.backwards)
    sign = "-" if descending else ""
    page = base.order_by(f"{sign}{field_name}", f"{sign}id")
    if cursor:
        before = "lt" if descending else "gt"
        # The first, redundant bound is what PostgreSQL can use as an index condition;
        # the OR alone makes it scan from the top and filter (the cost of an OFFSET).
        page = page.filter(
            Q(**{f"{field_name}__{before}e": cursor.value}),
            Q(**{f"{field_name}__{before}": cursor.value})
            | Q(**{field_name: cursor.value, f"id__{before}": cursor.id}),
        )
    size = filters.size
    rows = list(
        page.select_related("campaign", "message")
        .defer("raw", "campaign__raw", "message__raw")
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("id")))[
            : size + 1
        ]
    )
    more = len(rows) > size
    rows = rows[:size]
    targets_attach(rows, profiles)
    if cursor and cursor.backwards:
        rows.reverse()
        has_next, has_prev = True, more
    else:
        has_next, has_prev = more, cursor is not None
    count = base.order_by()[: COUNT_CAP + 1].count()

    def edge(post: Post, backwards: bool) -> Cursor:
        return Cursor(value=getattr(post, field_name), id=post.id, backwards=backwards)

    return QueuePage(
        rows=rows,
        count=min(count, COUNT_CAP),
        count_exact=count <= COUNT_CAP,
        next_cursor=edge(rows[-1], False) if rows and has_next else None,
        prev_cursor=edge(rows[0], True) if rows and has_prev else None,
        first=cursor is None,
    )


@dataclass(frozen=True)
class Target:
    """One profile a post goes to, and what happened there."""

    profile_id: str
    label: str
    network: str
    status: str
    error: str
    remote_url: str

    @property
    def remote_href(self) -> str:
        return web_url(self.remote_url)


def targets_attach(posts: list[Post], profiles: dict[str, Profile]) -> None:
    """Label each post's deliveries from the (small) profile table, without a join that
    would drop deliveries to profiles not mirrored yet; and format each row's times once
    in Python (per-row template filters were most of a page's render time)."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    for post in posts:
        local = as_local(post.start_at, zone)
        post.start_iso = local.isoformat()
        post.start_label = f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"
        post.start_input = f"{local:%Y-%m-%dT%H:%M}"
        # The version the page shows, for the conflict check of a change made from it.
        seen = post.modified or post.synced_at
        post.modified_iso = seen.isoformat() if seen else ""
        if post.counters_at:
            minutes = int((now - post.counters_at).total_seconds() // 60)
            ago = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
            post.counters_label = f"as of {as_local(post.counters_at, zone):%H:%M} · {ago} ago"
        else:
            post.counters_label = ""
        post.targets = [
            Target(
                profile_id=d.profile_id,
                label=profiles[d.profile_id].label if d.profile_id in profiles else d.profile_id,
                network=profiles[d.profile_id].network if d.profile_id in profiles else "",
                status=d.status,
                error=d.error,
                remote_url=d.remote_url,
            )
            for d in post.deliveries.all()
        ]


def profiles_by_id() -> dict[str, Profile]:
    return {p.oktopost_id: p for p in Profile.objects.order_by("network", "name")}


def queue_choices() -> dict[str, object]:
    """What the filter form offers; campaigns and profiles are small tables."""
    creators = cache_get("queue:creators")
    if creators is None:
        creators = sorted(
            c for c in Post.objects.values_list("created_by", flat=True).distinct() if c
        )[:200]
        cache_set("queue:creators", creators, 600)
    return {
        "campaigns": list(Campaign.objects.order_by("name").values_list("oktopost_id", "name")),
        "profiles": profiles_by_id(),
        "creators": creators,
    }


def post_for_view(oktopost_id: str) -> Post:
    """A post with what its detail page shows, or Http404."""
    return get_object_or_404(
        Post.objects.select_related("campaign", "message").prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("id"))
        ),
        oktopost_id=oktopost_id,
    )


@dataclass(frozen=True)
class Chart:
    """A small SVG line chart of one counter's history (no script, no inline style)."""

    label: str
    points: str
    first: int
    last: int
    since: datetime | None


CHART_W, CHART_H = 300, 60


def stats_chart(post: Post) -> list[Chart]:
    samples = list(post.samples.order_by("at").values_list("at", "clicks", "likes", "impressions"))
    if len(samples) < 2:
        return []
    start, end = samples[0][0], samples[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    charts = []
    for index, label in ((1, "Clicks"), (2, "Likes"), (3, "Impressions")):
        values = [row[index] or 0 for row in samples]
        top = max(values) or 1
        points = " ".join(
            f"{(row[0] - start).total_seconds() / span * CHART_W:.1f},"
            f"{CHART_H - value / top * (CHART_H - 4) - 2:.1f}"
            for row, value in zip(samples, values, strict=True)
        )
        charts.append(Chart(label, points, values[0], values[-1], start))
    return charts


def saved_views_for(user) -> list[SavedView]:
    return list(SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner"))


# --- creating and changing posts ---------------------------------------------------

DUPLICATE_WINDOW = timedelta(hours=3)
BULK_CAP = 500


@dataclass(frozen=True)
class Counter:
    label: str
    used: int
    limit: int

    @property
    def left(self) -> int:
        return self.limit - self.used

    @property
    def over(self) -> int:
        return self.used - self.limit


@dataclass(frozen=True)
class CreateChecks:
    counters: list[Counter]
    duplicates: list[Post]
    past: bool
    local: datetime | None
    utc: datetime | None
    ambiguous: bool
    time_error: str


def create_checks(form, user) -> CreateChecks:
    """What the create form shows while the editor types (computed from raw input)."""
    data = form.data
    message = None
    if data.get("source") == "existing" and data.get("message"):
        message = Message.objects.filter(oktopost_id=data.get("message")).first()
    network = message.network if message else data.get("network", "")
    text = message.text if message else data.get("text", "")
    link = message.link_url if message else data.get("link_url", "")
    counters = []
    if network in NETWORK_LIMITS:
        label = "Description" if network == "YouTube" else network
        counters.append(
            Counter(label, characters_used(text, network, link), NETWORK_LIMITS[network])
        )
    if network == "YouTube":
        counters.append(Counter("Video title", len(data.get("title", "")), YOUTUBE_TITLE_LIMIT))
    local = utc = None
    ambiguous, time_error = False, ""
    when = data.get("when", "")
    if when and not data.get("asap"):
        try:
            local = parse_local(when)
            utc = local_to_utc(local, user.zone)
            ambiguous = is_ambiguous(local, user.zone)
        except BadLocalTime as exc:
            time_error = str(exc)
    duplicates: list[Post] = []
    profiles = data.getlist("profiles") if hasattr(data, "getlist") else []
    if message and profiles:
        moment = utc or timezone.now()
        duplicates = list(
            Post.objects.filter(
                message_id=message.oktopost_id,
                deleted_at__isnull=True,
                start_at__gte=moment - DUPLICATE_WINDOW,
                start_at__lte=moment + DUPLICATE_WINDOW,
            )
            .filter(Exists(Delivery.objects.filter(post=OuterRef("pk"), profile_id__in=profiles)))
            .order_by("start_at")[:5]
        )
    return CreateChecks(
        counters=counters,
        duplicates=duplicates,
        past=bool(utc and utc < timezone.now()),
        local=local,
        utc=utc,
        ambiguous=ambiguous,
        time_error=time_error,
    )


def messages_search(q: str, campaign: str, network: str, limit: int = 20) -> list[Message]:
    found = Message.objects.select_related("campaign").order_by("-created", "-id")
    if words := search_words(q[:MAX_TEXT]):
        found = found.filter(oktopost_id__in=messages_matching(words))
    if campaign:
        found = found.filter(campaign_id=campaign[:32])
    if network:
        found = found.filter(network=network[:32])
    return list(found[:limit])


def bulk_selected(ids: list[str]) -> list[str]:
    """Of the posted ids, the unsent posts that exist, in schedule order."""
    return list(
        Post.objects.filter(
            oktopost_id__in=ids[:BULK_CAP], status__in=UNSENT_STATUSES, deleted_at__isnull=True
        )
        .order_by("start_at", "id")
        .values_list("oktopost_id", flat=True)
    )


def bulk_matching(filters: QueueFilters, *, zone) -> list[str]:
    posts = queue_queryset(filters, now=timezone.now(), zone=zone).filter(
        status__in=UNSENT_STATUSES
    )
    return list(posts.order_by("start_at", "id").values_list("oktopost_id", flat=True)[:BULK_CAP])


def activity_list(*, username: str, post_id: str, limit: int = 200):
    entries = Activity.objects.select_related("user")
    filters = {}
    if username:
        entries = entries.filter(user__username=username[:150])
        filters["user"] = username[:150]
    if post_id:
        entries = entries.filter(post_oktopost_id=post_id[:32])
        filters["post"] = post_id[:32]
    return list(entries[:limit]), filters


def post_history(post: Post) -> list[Activity]:
    return list(
        Activity.objects.filter(post_oktopost_id=post.oktopost_id).select_related("user")[:50]
    )


def profiles_of_network(network: str) -> list[Profile]:
    return list(Profile.objects.filter(network=network).order_by("name"))
