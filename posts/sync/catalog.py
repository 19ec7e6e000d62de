"""The catalog: campaigns, profiles, users, tags and calendar notes, each on its own.

Each part is read and written alone, with its own `SyncState` ("catalog:users", …), so
one that Oktopost refuses (403: the key's user lacks the permission; 404: the plan has no
such endpoint) or fails to answer is recorded and the other parts, and the posts after
them, go on: names are a nicety, posts are the product (issue 25). The status bar reads
these states (`posts.status`) and says in words what cannot be named.

The sync reads the catalog after its posts. A part is read when CATALOG_EVERY has passed
since its last attempt, success or not, so a refused part costs one call per half hour,
not one per sync. A page of posts naming campaigns or profiles the mirror lacks asks for
those two parts at once (`force`), except while Oktopost refuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from oktopost.client import OktopostClient
from oktopost.errors import AuthError, NotFound, OktopostError, RateLimited
from posts import mirror
from posts.catalog_parts import (
    FAILED,
    FORBIDDEN,
    MISSING,
    PARTS,
    REFERENCED,
    REFUSED,
    state_name,
)
from posts.connection import get_client
from posts.models import SyncState
from posts.plan import CATALOG_EVERY
from posts.sync.locks import failure_words

CATALOG_MAX_AGE = timedelta(seconds=CATALOG_EVERY)
__all__ = ["CATALOG_MAX_AGE", "PARTS", "REFERENCED", "catalog_sync", "refusal"]


def _campaigns(client: OktopostClient, now: datetime) -> int:
    campaigns = list(client.campaigns_iter())
    with transaction.atomic():
        mirror.campaigns_upsert(campaigns, now=now)
    return len(campaigns)


def _profiles(client: OktopostClient, now: datetime) -> int:
    profiles = client.credential_list(include_invalid=True)
    with transaction.atomic():
        mirror.profiles_upsert(profiles, now=now)
    return len(profiles)


def _users(client: OktopostClient, now: datetime) -> int:
    users = list(client.users_iter())
    with transaction.atomic():
        mirror.users_upsert(users, now=now)
    return len(users)


def _tags(client: OktopostClient, now: datetime) -> int:
    tags = list(client.tags_iter())
    with transaction.atomic():
        mirror.tags_upsert(tags, now=now, complete=True)
    return len(tags)


def _notes(client: OktopostClient, now: datetime) -> int:
    # Every note, not a window: a long note that started before any window would be
    # missed, and notes are few (tens a year), so this is one call for most accounts.
    notes = list(client.calendar_events_iter())
    with transaction.atomic():
        mirror.notes_replace(notes, now=now)
    return len(notes)


READERS: dict[str, Callable[[OktopostClient, datetime], int]] = {
    "campaigns": _campaigns,
    "profiles": _profiles,
    "users": _users,
    "tags": _tags,
    "notes": _notes,
}


def refusal(exc: OktopostError) -> str:
    # A 401 is the whole key refused: the posts fail too, and say so themselves.
    if isinstance(exc, AuthError) and exc.status != 401:
        return FORBIDDEN
    if isinstance(exc, NotFound):
        return MISSING
    return FAILED


def _last_attempt(state: SyncState | None) -> datetime | None:
    if state is None:
        return None
    times = [t for t in (state.last_success, state.last_error_at) if t]
    return max(times) if times else None


def _due(state: SyncState | None, now: datetime, *, forced: bool) -> bool:
    last = _last_attempt(state)
    if last is None or now - last >= CATALOG_MAX_AGE:
        return True
    if not forced:
        return False
    # Asked for again at once, unless Oktopost refused it on the last try: asking again
    # within the half hour would be refused again, at a call a page.
    refused = state.last_error_at == last and state.last_result.get("refused") in REFUSED
    return not refused


def catalog_sync(
    *,
    client: OktopostClient | None = None,
    parts: tuple[str, ...] = PARTS,
    force: bool = False,
    now: datetime | None = None,
) -> bool:
    """Read each of `parts` that is due (with `force`, those posts reference at once). A
    part Oktopost refuses or fails is recorded in its state and skipped; the budget
    running out stops the rest until the next run. Returns whether it called Oktopost."""
    now = now or timezone.now()
    states = {s.name: s for s in SyncState.objects.filter(name__in=[state_name(p) for p in parts])}
    called = False
    for part in parts:
        name = state_name(part)
        if not _due(states.get(name), now, forced=force and part in REFERENCED):
            continue
        client = client or get_client()
        called = True
        try:
            count = READERS[part](client, now)
        except RateLimited:
            # Nothing is wrong with the part: the budget says wait. It stays due.
            break
        except OktopostError as exc:
            SyncState.objects.update_or_create(
                name=name,
                defaults={
                    "last_error": failure_words(exc)[:2000],
                    "last_error_at": now,
                    "last_result": {"refused": refusal(exc), "status": exc.status},
                },
            )
        else:
            SyncState.objects.update_or_create(
                name=name,
                defaults={
                    "last_success": now,
                    "last_error": "",
                    "last_error_at": None,
                    "last_result": {"count": count},
                },
            )
    return called
