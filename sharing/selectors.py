"""Reads of share links, and what a new one will show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import QuerySet
from django.utils.text import Truncator

from core.infra import cache_get, cache_set
from core.roles import APPROVER, EDITOR, VIEWER
from posts import queue
from posts.models import Message
from posts.selectors import queue_queryset
from reports.review import PRESETS as RANGE_PRESETS
from sharing import scope
from sharing.models import ShareLink, SharingPolicy
from sharing.tokens import token_hash, token_well_formed


def share_link_for_token(token: str) -> ShareLink | None:
    """The link a token opens (active or not), or None for a token that matches none."""
    if not token_well_formed(token):
        return None
    return (
        ShareLink.objects.select_related("created_by").filter(token_hash=token_hash(token)).first()
    )


def share_links_list() -> QuerySet[ShareLink]:
    return ShareLink.objects.select_related("created_by")


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def share_links_for(user) -> QuerySet[ShareLink]:
    """The links `user` made; an admin sees everyone's (the command's included)."""
    links = share_links_list()
    return links if is_admin(user) else links.filter(created_by=user)


def share_link_of(user, link_id: int) -> ShareLink | None:
    """The link `link_id` if `user` may manage it (their own; any, for an admin)."""
    return share_links_for(user).filter(id=link_id).first()


POLICY_CACHE_KEY = "sharing:viewers-may-share"


def sharing_policy() -> SharingPolicy:
    return SharingPolicy.objects.get_or_create(pk=1)[0]


def viewers_may_share() -> bool:
    """The admins' switch, read once a minute at most (every page's "Share this view"
    asks; `services.sharing_policy_set` drops the cached answer)."""
    cached = cache_get(POLICY_CACHE_KEY)
    if cached is None:
        cached = sharing_policy().viewers_may_share
        cache_set(POLICY_CACHE_KEY, cached, 60)
    return bool(cached)


def share_allowed(user) -> bool:
    """May `user` make share links? Anyone with a role may see the views they would
    share; editors and admins always may, viewers and approvers unless an admin has
    switched it off (SharingPolicy)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.has_role(EDITOR):
        return True
    if not any(user.has_role(r) for r in (VIEWER, APPROVER)):
        return False
    return viewers_may_share()


def share_made_as(user) -> str:
    """The role a user's new link lives by (ShareLink.made_as)."""
    return ShareLink.MadeAs.EDITOR if user.has_role(EDITOR) else ShareLink.MadeAs.VIEWER


# --- what a new link will show, before it is made ---------------------------------------

COUNT_CAP = 100_000  # a count past this says "more than": the page stays fast at 1M posts


@dataclass(frozen=True)
class Preview:
    """A new link's scope in words, how many posts it shows now, and its date rule."""

    page: str
    scope: list[tuple[str, str]]  # (what, which), e.g. ("Networks", "LinkedIn, Twitter")
    everything: bool  # no filter at all: the whole account
    count: int
    count_capped: bool
    dates: str  # the date rule in words
    rolls: bool  # a range that moves with the day it is opened


def _names(values, names: dict[str, str]) -> str:
    return ", ".join(names.get(v, v) for v in values)


def message_names(ids) -> dict[str, str]:
    """A message filter named by the start of its text, never by Oktopost's id."""
    texts = Message.objects.filter(oktopost_id__in=list(ids)[:50]).values_list(
        "oktopost_id", "text"
    )
    return {mid: f"“{Truncator(text).chars(60)}”" for mid, text in texts}


def _scope_words(filters, choices: dict, creators: dict[str, str]) -> list[tuple[str, str]]:
    campaigns = dict(choices["campaigns"])
    profiles = {pid: f"{p.network}: {p.label}" for pid, p in choices["profiles"].items()}
    words: list[tuple[str, str]] = []
    if filters.preset:
        words.append(("View", queue.PRESETS[filters.preset][0]))
    for label, values, names in (
        ("Statuses", filters.statuses, queue.STATUS_LABELS),
        ("Networks", filters.networks, {}),
        ("Profiles", filters.profiles, profiles),
        ("Campaigns", filters.campaigns, campaigns),
        ("Sources", filters.sources, {}),
        ("Created by", filters.created_by, creators),
        ("Messages", filters.messages, message_names(filters.messages)),
        ("Tags", filters.tags, dict(choices["tags"])),
    ):
        if values:
            words.append((label, _names(values, names)))
    if filters.media:
        words.append(("Media", queue.MEDIA_FILTERS[filters.media]))
    if filters.q:
        words.append(("Text", f"messages with “{filters.q}”"))
    if filters.deleted:
        words.append(("Deleted posts", "included"))
    return words


def share_preview(
    page: str, query: str, *, zone: tzinfo, choices: dict, now: datetime, creators: dict
) -> Preview:
    """What a link with this (canonical) query shows if opened now."""
    if page == "stats":
        sq = scope.stats_scope(query, zone, choices)
        filters, period = sq.filters, sq.period
        posts = sq.scope.posts(now=now)
        span = f"{period.first:%-d %b %Y} to {period.last:%-d %b %Y} ({zone})"
        if period.preset:
            label = RANGE_PRESETS[period.preset].lower()
            dates = (
                f"Rolls forward: it always shows {label}, counted from the day it is opened "
                f"(opened today: {span}), so posts newer than today appear in it."
            )
        else:
            dates = f"Fixed dates: {span}, whenever it is opened."
        rolls = bool(period.preset)
    else:
        filters = scope.queue_scope(query, choices).filters
        posts = queue_queryset(filters, now=now, zone=zone)
        if filters.start_from or filters.start_to:
            first = f"{filters.start_from:%-d %b %Y}" if filters.start_from else "the first post"
            last = f"{filters.start_to:%-d %b %Y}" if filters.start_to else "the last one"
            dates = f"Posts scheduled from {first} to {last} ({zone})."
            rolls = False
        else:
            dates = (
                "No dates: every post that matches when it is opened, posts added later included."
            )
            rolls = True
        if filters.sort != filters.default_sort:
            dates += f" Sorted by {queue.SORTS[filters.sort_field].lower()}."
    count = posts.values("id")[: COUNT_CAP + 1].count()
    words = _scope_words(filters, choices, creators)
    return Preview(
        page=page,
        scope=words,
        everything=not words,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
        dates=dates,
        rolls=rolls,
    )


@dataclass(frozen=True)
class LinkRow:
    """A link as the /share/ list shows it: what it shows, in names."""

    link: ShareLink
    view: str  # e.g. "Queue: Twitter; Spring launch" or "Stats: every post, last 7 days"


def share_link_rows(links, *, choices: dict, creators: dict[str, str]) -> list[LinkRow]:
    rows = []
    for link in links:
        try:
            tz = ZoneInfo(link.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        if link.page == "stats":
            sq = scope.stats_scope(link.query, tz, choices)
            filters, period = sq.filters, sq.period
            dates = (
                RANGE_PRESETS[period.preset].lower()
                if period.preset
                else f"{period.first:%-d %b %Y} to {period.last:%-d %b %Y}"
            )
        else:
            filters = scope.queue_scope(link.query, choices).filters
            dates = ""
            if filters.start_from and filters.start_to:
                dates = f"{filters.start_from:%-d %b} to {filters.start_to:%-d %b %Y}"
        words = "; ".join(which for _, which in _scope_words(filters, choices, creators))
        view = ", ".join(w for w in (words or "every post", dates) if w)
        rows.append(LinkRow(link, f"{link.get_page_display()}: {view}"))
    return rows
