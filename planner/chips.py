"""A post as the calendar shows it: its chip (queue row, icon, words, time of day),
built the same way for the grid, an expanded day and the drafts tray; and clashes, one
profile twice within CALENDAR_CLASH_MINUTES."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo

from django.conf import settings

from core.localtime import as_local
from core.terms import COUNTERS
from posts.models import SENT_STATUSES, Post, Profile
from posts.selectors import QueueRow, queue_rows

CHIP_FIELDS = (
    *("oktopost_id", "status", "network", "created_by", "deleted_at"),
    *("start_at", "modified", "synced_at", "counters_at", "stats_at", "campaign_id"),
    # link_url: a failed delivery is explained with the length the network counts.
    *("message", "message__text", "message__link_title", "message__link_url"),
    # queue_rows (shared with the queue) formats the counters too.
    *COUNTERS,
    # "Awaiting approval · step 2 of 3 · Legal" (Post.status_label).
    *("approval", "approval_step", "approval_steps", "approval_step_name"),
)


@dataclass(frozen=True)
class Chip:
    """A post as a calendar chip (and its drawer) shows it: its queue row (times,
    profiles, text) and the chip's own words, in the viewer's zone."""

    row: QueueRow
    status_icon: str
    network_short: str
    local_day: date
    local_hour: int
    time_label: str  # "09:30", also the drawer's time field
    can_drag: bool
    title: str  # status, network and profiles; clashes are added by `chip_title`
    first_words: str
    # The other posts' ids going to one of this post's profiles within the clash window
    # (clashes_mark).
    clashes: list[str] = field(default_factory=list)

    @property
    def post(self) -> Post:
        return self.row.post

    @property
    def chip_title(self) -> str:
        if not self.clashes:
            return self.title
        return f"{self.title} · clashes with {', '.join(self.clashes)}"

    @property
    def date_input(self) -> str:
        return f"{self.local_day:%Y-%m-%d}"


def clash_minutes() -> int:
    return settings.CALENDAR_CLASH_MINUTES


def clash_window() -> timedelta:
    return timedelta(minutes=clash_minutes())


def clashes_mark(chips: list[Chip], window: timedelta) -> None:
    """Note on both chips the posts going to the same profile within `window` of each
    other (chip.clashes: the other posts' ids). Sent and cancelled posts count too: a
    post an hour after one that already went out still crowds that profile."""
    by_profile: dict[str, list[Chip]] = {}
    for chip in chips:
        if chip.post.deleted_at:
            continue
        for target in chip.row.targets:
            by_profile.setdefault(target.profile_id, []).append(chip)
    for profile_chips in by_profile.values():
        profile_chips.sort(key=lambda c: c.post.start_at)
        for n, chip in enumerate(profile_chips):
            for other in profile_chips[n + 1 :]:
                if other.post.start_at - chip.post.start_at >= window:
                    break
                if other.post.oktopost_id not in chip.clashes:
                    chip.clashes.append(other.post.oktopost_id)
                    other.clashes.append(chip.post.oktopost_id)


# Status told by an icon and words, never by colour alone (the legend names each icon).
STATUS_ICONS = {
    "pending": "◷",
    "inqueue": "◷",
    "draft": "✎",
    "inqueue-draft": "✎",
    "complete": "✓",
    "incomplete": "◐",
    "error": "✗",
    "stuck": "‼",
    "approval": "⚖",  # scales: waiting for a reviewer (⏳ has no glyph in common fonts)
    "cancelled": "⊘",
}
NETWORK_SHORT = {"Twitter": "X", "LinkedIn": "in", "Facebook": "fb", "Instagram": "ig"}
NETWORK_SHORT["YouTube"] = "yt"


def chips_build(posts: list[Post], profiles: dict[str, Profile], zone: tzinfo) -> list[Chip]:
    chips = []
    for row in queue_rows(posts, profiles):
        post = row.post
        local = as_local(post.start_at, zone)
        names = ", ".join(t.label for t in row.targets)
        text = (post.message.text if post.message else "") or "(message not synced yet)"
        words = text.split()
        chips.append(
            Chip(
                row=row,
                status_icon=STATUS_ICONS.get(post.status_key, "•"),
                network_short=NETWORK_SHORT.get(post.network, post.network[:2]),
                local_day=local.date(),
                local_hour=local.hour,
                time_label=f"{local:%H:%M}",
                can_drag=not post.deleted_at and post.status not in SENT_STATUSES,
                title=f"{post.status_label} · {post.network}" + (f": {names}" if names else ""),
                first_words=" ".join(words[:8]) + ("…" if len(words) > 8 else ""),
            )
        )
    return chips
