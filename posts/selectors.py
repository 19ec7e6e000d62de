"""Reads for pages: everything here comes from the local mirror (and the shared budget)."""

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import Truncator

from core.infra import cache_get, cache_set
from core.localtime import BadLocalTime, as_local, is_ambiguous, local_to_utc, parse_local
from core.terms import STUCK_AFTER
from posts import attached_media as attachment_selectors
from posts import media_rules
from posts.models import (
    SENT_STATUSES,
    UNSENT_STATUSES,
    USER_NAMES_CACHE_KEY,
    WAITING_STATUSES,
    Activity,
    Campaign,
    Delivery,
    Message,
    OktopostUser,
    Post,
    Profile,
    SavedView,
    media_kind_of,
    web_url,
)
from posts.networks import NETWORK_LIMITS, YOUTUBE_TITLE_LIMIT, characters_used
from posts.queue import MAX_TEXT, STUCK, Cursor, QueueFilters, search_words
from posts.search import messages_matching, posts_matching

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


class Unindexed(Func):
    """The column's own value, written so that SQLite will not pick its index for it.

    Without planner statistics SQLite takes any index with an equality-like condition
    over the one that gives the page's order, and then sorts every match for 50 rows:
    for `deleted_at IS NULL`, true of nearly every post, that is the whole table. SQLite's
    documented way to say "not this index" is a unary `+`. PostgreSQL plans from its own
    statistics and gets the plain column.
    """

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


# The columns the queue's filters test directly (profiles go through an EXISTS).
_FILTERED_COLUMNS = (
    *("status", "start_at", "network", "campaign_id", "source", "created_by", "media_kind"),
)


def queue_queryset(
    filters: QueueFilters, *, now: datetime, zone, walk_order: bool = False
) -> QuerySet[Post]:
    """Every post the filters select, unordered.

    `walk_order`: no filter may use an index (on SQLite), so the page is read by walking
    the sort's own (x, id) index and testing each post: right when many posts match,
    wrong when few do (see `queue_page`)."""
    # Never a reason to choose an index: almost every post is not deleted.
    unindexed = {"deleted_at"}
    if walk_order:
        unindexed |= {*_FILTERED_COLUMNS} - {filters.sort_field}
    posts = Post.objects.alias(**{f"{name}_unindexed": Unindexed(F(name)) for name in unindexed})

    def col(name: str) -> str:
        """The name to filter `name` by: the column, or its unindexed alias."""
        return f"{name}_unindexed" if name in unindexed else name

    if not filters.deleted:
        posts = posts.filter(**{f"{col('deleted_at')}__isnull": True})
    statuses = filters.effective_statuses()
    if filters.preset and not statuses:
        return posts.none()
    if statuses:
        status, start_at = col("status"), col("start_at")
        plain = [s for s in statuses if s != STUCK]
        match = Q(**{f"{status}__in": plain}) if plain else Q(pk__in=[])
        if STUCK in statuses:
            match |= Q(**{f"{status}__in": WAITING_STATUSES, f"{start_at}__lt": now - STUCK_AFTER})
        elif set(plain) & set(WAITING_STATUSES) and filters.preset == "upcoming":
            match &= Q(**{f"{start_at}__gte": now - STUCK_AFTER})
        posts = posts.filter(match)
        if set(statuses) <= {*SENT_STATUSES, STUCK}:
            # Sent and stuck posts all lie in the past: saying so lets the database
            # start its walk of the (start_at, id) index at now, not at the newest
            # scheduled post, skipping a month of future posts at every page.
            posts = posts.filter(**{f"{start_at}__lte": now})
    if filters.networks:
        posts = posts.filter(**{f"{col('network')}__in": filters.networks})
    if filters.campaigns:
        posts = posts.filter(**{f"{col('campaign_id')}__in": filters.campaigns})
    if filters.sources:
        posts = posts.filter(**{f"{col('source')}__in": filters.sources})
    if filters.created_by:
        posts = posts.filter(**{f"{col('created_by')}__in": filters.created_by})
    if filters.messages:
        posts = posts.filter(message_id__in=filters.messages)
    if filters.media:
        kind = "" if filters.media == "none" else filters.media
        posts = posts.filter(**{col("media_kind"): kind})
    if filters.profiles:
        targets = Delivery.objects.filter(post=OuterRef("pk"), profile_id__in=filters.profiles)
        posts = posts.filter(Exists(targets))
    lo, hi = filters.start_range(zone)
    if lo:
        posts = posts.filter(**{f"{col('start_at')}__gte": lo})
    if hi:
        posts = posts.filter(**{f"{col('start_at')}__lt": hi})
    if filters.q and (words := search_words(filters.q)):
        posts = posts.filter(posts_matching(words))
    return posts


# What a queue row shows (templates/posts/queue.html#post-row) and every sort field a
# cursor may hold; the rest of a post (its payload, the sync's bookkeeping) is left
# unread: a row costs Django a conversion per column. tests/test_query_counts.py fails
# if the row ever needs one of the others (a query per row).
_ROW_FIELDS = (
    *("oktopost_id", "status", "network", "source", "created_by", "deleted_at"),
    *("start_at", "created", "modified", "synced_at", "counters_at", "stats_at"),
    *("clicks", "conversions", "comments", "likes", "shares", "impressions"),
    *("campaign", "campaign__name", "message", "message__text", "message__link_title"),
    *("media_kind", "message__media"),
)
_TARGET_FIELDS = ("post", "profile", "status", "error", "remote_url")


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
    # Counting first, through the filters' own indexes, costs at most COUNT_CAP index
    # entries and tells how to read the page. Few matches: through those indexes, then
    # sort them. Many: walk the sort's (x, id) index and keep what matches, which
    # finds 50 within a few hundred posts, where sorting every match would read and sort
    # up to all of them. PostgreSQL weighs this itself from its statistics; SQLite,
    # without them, always takes the first way.
    count = base.order_by()[: COUNT_CAP + 1].count()
    if count > COUNT_CAP and connection.vendor == "sqlite":
        base = queue_queryset(filters, now=now, zone=zone, walk_order=True)
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
    deliveries = Delivery.objects.order_by("id").only(*_TARGET_FIELDS)
    rows = list(
        page.select_related("campaign", "message")
        .only(*_ROW_FIELDS)
        .prefetch_related(Prefetch("deliveries", queryset=deliveries))[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    targets_attach(rows, profiles)
    if cursor and cursor.backwards:
        rows.reverse()
        has_next, has_prev = True, more
    else:
        has_next, has_prev = more, cursor is not None

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
    this_year = as_local(now, zone).year
    for post in posts:
        local = as_local(post.start_at, zone)
        post.start_iso = local.isoformat()
        # The zone is named once on the page; the year only when it is not this one.
        year = "" if local.year == this_year else f" {local.year}"
        post.start_label = f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M}"
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
        # The row's message link, as `text|default:"…"|truncatechars:120` made it.
        message = post.message
        post.text_preview = _truncated(
            (message.text if message else "") or "(message not synced yet)", 120
        )
        post.link_title_preview = (
            _truncated(message.link_title, 80) if message and message.link_title else ""
        )
        # Counters as the row shows them: never-fetched ones read "not yet", not 0.
        lists = post.counters_at is not None
        stats = post.stats_at is not None
        post.counter_cells = [
            (
                name,
                f"{getattr(post, name):,}" if (stats if name in _STATS_ONLY else lists) else "",
            )
            for name in _COUNTER_NAMES
        ]
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
        post.failed_count = sum(1 for t in post.targets if t.status == "failed")


_COUNTER_NAMES = ("clicks", "conversions", "comments", "likes", "shares", "impressions")
# Shares and impressions come only from ?stats=1 (one call a post): unknown until then.
_STATS_ONLY = ("shares", "impressions")


def _truncated(text: str, length: int) -> str:
    """Django's `truncatechars`, without walking each character of a text that is
    already short: 50 rows of it were a noticeable part of rendering a page."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


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
        rows = samples
        if index == 3:
            # Impressions come only from ?stats=1: the samples before its first answer
            # hold 0 for "not fetched yet", not a count. The series starts at the first
            # figure Oktopost gave.
            known = next((n for n, row in enumerate(samples) if row[3]), None)
            rows = samples[known:] if known is not None else []
            if len(rows) < 2:
                continue
        values = [row[index] or 0 for row in rows]
        top = max(values) or 1
        points = " ".join(
            f"{(row[0] - start).total_seconds() / span * CHART_W:.1f},"
            f"{CHART_H - value / top * (CHART_H - 4) - 2:.1f}"
            for row, value in zip(rows, values, strict=True)
        )
        charts.append(Chart(label, points, values[0], values[-1], rows[0][0]))
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
    # When the local time happens twice: the second instant, which is not used.
    utc_later: datetime | None = None
    media: media_rules.Verdict | None = None
    first_comment_left: int | None = None


def media_items(media_ids: list[str], upload_keys: list[str], *, user) -> list[media_rules.Item]:
    """What the network limits are checked against: attached library media (their size
    as Oktopost lists it) and our own files, ready or still being processed."""
    items = [
        media_rules.Item(m.kind, m.name, m.size, m.duration)
        for m in attachment_selectors.preview_media(media_ids)
    ]
    ready = {m for m in media_ids}
    for local in attachment_selectors.files_of(upload_keys, user=user):
        if local.media_id not in ready:
            items.append(media_rules.Item(local.media_kind, local.name, local.size, local.duration))
    return items


@dataclass(frozen=True)
class ShownMedia:
    id: str
    kind: str
    name: str
    size: int | None
    thumbnail_url: str  # oktodash's cached copy, images only
    href: str  # Oktopost's own address of the file (http(s) only), for videos and PDFs


def message_media(message: Message | None) -> list[ShownMedia]:
    """A message's media as the mirror keeps them (Message.media), in Oktopost's order."""
    items = message.media if message is not None else []
    shown = []
    for item in items if isinstance(items, list) else []:
        kind = media_kind_of(str(item.get("type", "")))
        media_id = str(item.get("id", ""))
        shown.append(
            ShownMedia(
                id=media_id,
                kind=kind,
                name=str(item.get("name") or media_id),
                size=item.get("size"),
                thumbnail_url=attachment_selectors.thumbnail_url(media_id)
                if kind == "image" and attachment_selectors.MEDIA_ID.match(media_id)
                else "",
                href=web_url(str(item.get("resource") or "")),
            )
        )
    return shown


def post_media(post: Post) -> dict[str, object]:
    """A post's message media and its first comment, for the detail page and drawer."""
    shown = message_media(post.message if post.message_id else None)
    comment = post.first_comment or {}
    comment_media = attachment_selectors.preview_media([comment.get("media_id", "")])
    return {
        "media": shown,
        "first_comment": comment,
        "comment_media": comment_media[0] if comment_media else None,
        # Pictures the comment may take: the message's own images.
        "comment_choices": [
            m for m in shown if m.kind == "image" and m.id != comment.get("media_id")
        ],
        "takes_first_comment": post.network == "LinkedIn",
    }


def compose_media(data, *, user) -> dict[str, object]:
    """What the create form had attached, to show again when it comes back with errors."""
    if data is None or not hasattr(data, "getlist"):
        return {"attached_media": [], "attached_files": [], "comment_media": None}
    files = attachment_selectors.files_of(data.getlist("upload")[:50], user=user)
    from_files = {f.media_id for f in files if f.media_id}
    media_ids = [m for m in data.getlist("media")[:50] if m not in from_files]
    comment = attachment_selectors.preview_media([data.get("first_comment_media", "")])
    return {
        "attached_media": attachment_selectors.preview_media(media_ids),
        "attached_files": files,
        "comment_media": comment[0] if comment else None,
    }


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
    utc_later = None
    when = data.get("when", "")
    if when and not data.get("asap"):
        try:
            local = parse_local(when)
            utc = local_to_utc(local, user.zone)
            ambiguous = is_ambiguous(local, user.zone)
            if ambiguous:
                utc_later = local.replace(tzinfo=user.zone, fold=1).astimezone(UTC)
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
    verdict = None
    getlist = data.getlist if hasattr(data, "getlist") else (lambda _: [])
    media_ids, upload_keys = getlist("media")[:50], getlist("upload")[:50]
    if network and not message:
        verdict = media_rules.check(network, media_items(media_ids, upload_keys, user=user))
    comment = data.get("first_comment_text", "")
    return CreateChecks(
        media=verdict,
        first_comment_left=media_rules.FIRST_COMMENT_LIMIT - len(comment) if comment else None,
        counters=counters,
        duplicates=duplicates,
        past=bool(utc and utc < timezone.now()),
        local=local,
        utc=utc,
        ambiguous=ambiguous,
        time_error=time_error,
        utc_later=utc_later,
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


def profiles_of_network(network: str, profiles: dict[str, Profile]) -> list[Profile]:
    """Of `profiles_by_id()` (already read for the page), those of `network`, by name."""
    return [p for p in profiles.values() if p.network == network]


def _local_label(value: object, zone) -> str:
    """An ISO instant from an activity record, in the reader's zone ("—" when absent)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    local = as_local(moment, zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def activity_describe(entries: list[Activity], *, zone, profiles: dict[str, Profile]) -> None:
    """Each entry's before → after in words: times in the reader's zone, profiles by name
    (records keep Oktopost's ids and UTC instants, which is right for an audit trail)."""

    def names(ids: object) -> str:
        if not ids:
            return "—"
        return ", ".join(
            profiles[i].label if i in profiles else str(i)
            for i in (ids if isinstance(ids, list) else [ids])
        )

    statuses = dict(Post._meta.get_field("status").choices)
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        changes = []
        if before.get("start_at") or after.get("start_at"):
            changes.append(
                f"Time: {_local_label(before.get('start_at'), zone)} → "
                f"{_local_label(after.get('start_at'), zone)}"
            )
        if before.get("profiles") or after.get("profiles"):
            changes.append(
                f"Profiles: {names(before.get('profiles'))} → {names(after.get('profiles'))}"
            )
        if after.get("status"):
            old = statuses.get(before.get("status"), before.get("status") or "—")
            changes.append(f"Status: {old} → {statuses.get(after['status'], after['status'])}")
        if after.get("deleted"):
            changes.append("Cancelled (deleted in Oktopost)")
        if "first_comment" in before or "first_comment" in after:
            old_text = (before.get("first_comment") or {}).get("text") or "none"
            new_text = (after.get("first_comment") or {}).get("text") or "removed"
            changes.append(f"First comment: {old_text[:80]} → {new_text[:80]}")
        if after.get("media"):
            changes.append(f"Media: {len(after['media'])} attached")
        entry.changes = changes


# --- Oktopost's users ----------------------------------------------------------------


def user_names() -> dict[str, str]:
    """Oktopost user id → name, from the cache (dropped by posts.mirror on every write)."""
    names = cache_get(USER_NAMES_CACHE_KEY)
    if names is None:
        names = {
            u.oktopost_id: u.label
            for u in OktopostUser.objects.only("oktopost_id", "name", "email")
        }
        cache_set(USER_NAMES_CACHE_KEY, names, 3600)
    return names


def compose_preview_sources(
    *, source: str, message_id: str, profile_ids: list[str]
) -> tuple[Message | None, dict[str, list[str]]]:
    """What the compose preview reads from the mirror: the chosen existing message (when
    the form uses one) and the selected profiles' names by network, in the form's order."""
    message = None
    if source == "existing" and message_id:
        message = Message.objects.filter(oktopost_id=message_id[:32]).first()
    by_network: dict[str, list[str]] = {}
    profiles = Profile.objects.filter(oktopost_id__in=[p[:64] for p in profile_ids[:200]])
    for profile in profiles.order_by("network", "name"):
        by_network.setdefault(profile.network, []).append(profile.label)
    return message, by_network
