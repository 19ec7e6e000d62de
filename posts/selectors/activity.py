"""Reads for the audit trail: the activity page and a post's history, in words."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from core import clock
from core.localtime import as_local
from posts.models import Activity, Post, Profile


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
    return clock.fmt(local, "D j M Y, H:i")


@dataclass(frozen=True)
class ActivityRow:
    """An audit entry as the activity table shows it: the entry, and its changes in words."""

    entry: Activity
    changes: list[str]


def activity_describe(
    entries: list[Activity], *, zone, profiles: dict[str, Profile]
) -> list[ActivityRow]:
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
    rows = []
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
        rows.append(ActivityRow(entry, changes))
    return rows
