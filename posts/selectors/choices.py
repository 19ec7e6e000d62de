"""Small tables every page reads whole: profiles, campaigns, tags and creators for the
filter form (and the filter chips named from them), Oktopost's users by name, saved
views."""

from django.db.models import Q

from core.infra import cache_get, cache_set
from posts.models import (
    TAG_CHOICES_CACHE_KEY,
    USER_NAMES_CACHE_KEY,
    Campaign,
    OktopostUser,
    Post,
    Profile,
    SavedView,
    Tag,
)
from posts.queue import QueueFilters


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
    tags = cache_get(TAG_CHOICES_CACHE_KEY)
    if tags is None:
        # (id, name) by name; a tag the tag list could not name yet shows as its id
        # (the status bar says why). Dropped by the mirror writer on every tag write.
        tags = sorted(
            ((tid, name or tid) for tid, name in Tag.objects.values_list("oktopost_id", "name")),
            key=lambda pair: (pair[1].casefold(), pair[0]),
        )
        cache_set(TAG_CHOICES_CACHE_KEY, tags, 3600)
    return {
        "campaigns": list(Campaign.objects.order_by("name").values_list("oktopost_id", "name")),
        "profiles": profiles_by_id(),
        "creators": creators,
        "tags": tags,
    }


def filter_ids(choices: dict[str, object]) -> dict[str, set[str]]:
    """The ids the queue's parser may keep (`posts.queue.parse(query, **filter_ids(…))`):
    anything else in a URL is dropped with a note."""
    return {
        "profiles": set(choices["profiles"]),
        "campaigns": {cid for cid, _ in choices["campaigns"]},
        "tags": {tid for tid, _ in choices["tags"]},
    }


def filter_chips(filters: QueueFilters, choices: dict[str, object]) -> list[tuple[str, str]]:
    """The active filters as (label, the query without that filter), campaigns,
    profiles and tags named as the filter form names them, never by Oktopost id."""
    return chips_named(filters.chips(), choices)


def chips_named(chips: list[tuple[str, str]], choices: dict[str, object]) -> list[tuple[str, str]]:
    """`QueueFilters.chips()` (or a page's own chips built from them) with the ids of
    campaigns, profiles and tags replaced by their names."""
    names = {cid: name for cid, name in choices["campaigns"]}
    names |= {pid: f"{p.network}: {p.label}" for pid, p in choices["profiles"].items()}
    names |= {tid: f"Tag: {name}" for tid, name in choices["tags"]}
    return [(names.get(label, label), rest) for label, rest in chips]


def saved_views_for(user) -> list[SavedView]:
    return list(SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner"))


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
