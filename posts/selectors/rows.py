"""A post as a queue row shows it (also a shared queue's rows and the calendar's chips and
drawer): what the row shows, formatted once in Python, its deliveries read for a whole page
in one query."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from django.utils import dates, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from core import clock
from core.localtime import as_local
from core.terms import COUNTERS, STATS_COUNTERS
from posts.models import Delivery, Post, Profile
from posts.selectors.choices import profiles_by_id
from posts.selectors.detail import post_for_view
from posts.selectors.outcomes import Outcome, Target, explain_delivery, made_here, outcome_of


class CounterCell(NamedTuple):
    """A counter's cell in a queue row, its class and mark worked out here: in the
    template these tests, six a row, were about a fifth of the page's rendering."""

    label: str  # "Clicks"
    css: str  # "num counter-clicks" (+ " stale")
    value: str  # as shown; "" when never fetched
    mark: bool  # the row's stale mark goes before this value


# capfirst made a lazy wrapper a call: six a row.
_COUNTER_LABELS = {name: capfirst(name) for name in COUNTERS}


def _counter_cells(post: Post, lists: bool, stats: bool) -> list[CounterCell]:
    stale = post.is_sent and post.counters_stale
    cells = []
    for i, name in enumerate(COUNTERS):
        fetched = stats if name in STATS_COUNTERS else lists
        value = f"{getattr(post, name):,}" if fetched else ""
        css = f"num counter-{name} stale" if stale and value else f"num counter-{name}"
        cells.append(CounterCell(_COUNTER_LABELS[name], css, value, stale and i == 0))
    return cells


def _targets_title(targets: list[Target]) -> str:
    return ", ".join(
        f"{t.label} (failed: {t.error})" if t.status == "failed" else t.label for t in targets
    )


@dataclass(frozen=True)
class QueueRow:
    """A post as a queue row shows it (also a shared queue's row and the calendar's
    chips and drawer): the post, and what the row shows of it, formatted once in Python
    (per-row template filters were most of a page's render time)."""

    post: Post
    start_iso: str
    # The zone is named once on the page; the year only when it is not this one.
    start_label: str
    start_input: str  # the row's "Move" field
    # The version the page shows, for the conflict check of a change made from it.
    modified_iso: str
    counters_label: str  # "as of 09:30 · 12 min ago", or "" when never read
    # The row's message link, as `text|default:"…"|truncatechars:120` made it.
    text_preview: str
    link_title_preview: str
    # One cell a counter, its value "" when never fetched ("not yet", not 0).
    counter_cells: list[CounterCell]
    targets: list[Target]
    # The oktodash user who created it, when it was made here ("" otherwise).
    made_by: str = ""
    # The counters' cells' title: counters_label, and whether they are stale.
    counters_title: str = ""
    # The network cell's title: every target, a failure with its error.
    targets_title: str = ""

    @cached_property
    def failed_count(self) -> int:
        return sum(1 for t in self.targets if t.status == "failed")

    @property
    def first_target(self) -> Target | None:
        return self.targets[0] if self.targets else None

    @property
    def more_targets(self) -> int:
        """How many targets the row's "+N" stands for."""
        return max(len(self.targets) - 1, 0)

    @cached_property
    def status_key(self) -> str:  # the post's, read twice a row
        return self.post.status_key

    @cached_property
    def outcome(self) -> Outcome:
        """ "2 of 3 sent" and each failure in words (posts.selectors.outcomes)."""
        return outcome_of(self.post, self.targets)


def post_targets(
    post: Post, profiles: dict[str, Profile], deliveries: list[DeliveryCells] | None = None
) -> list[Target]:
    """The post's deliveries labelled from the (small) profile table, without a join
    that would drop deliveries to profiles not mirrored yet. `deliveries` as
    `deliveries_of` reads them for many posts; without them, read for this one."""
    if deliveries is None:
        deliveries = deliveries_of([post])[post.id]
    targets = []
    for profile_id, status, error, remote_url in deliveries:
        profile = profiles.get(profile_id)
        label = profile.label if profile else profile_id
        network = profile.network if profile else post.network
        targets.append(
            Target(
                profile_id=profile_id,
                label=label,
                network=network,
                status=status,
                error=error,
                remote_url=remote_url,
                connected=profile.is_valid if profile else True,
                explained=explain_delivery(post, error, network=network, profile=label)
                if status == "failed"
                else None,
            )
        )
    return targets


# A delivery as a row shows it: (profile id, status, error, remote url).
DeliveryCells = tuple[str, str, str, str]


def deliveries_of(posts: list[Post]) -> dict[int, list[DeliveryCells]]:
    """Each post's deliveries as plain tuples in id order, in one query (none for a post
    read with them prefetched, as for its detail). A prefetch made a queryset for each
    post and a model for each delivery: for a page of 50 rows, about a sixth of the
    queue's CPU (issue 31)."""
    by_post: dict[int, list[DeliveryCells]] = {}
    unread = []
    for post in posts:
        prefetched = getattr(post, "_prefetched_objects_cache", {}).get("deliveries")
        if prefetched is None:
            by_post[post.id] = []
            unread.append(post.id)
        else:
            by_post[post.id] = [(d.profile_id, d.status, d.error, d.remote_url) for d in prefetched]
    if unread:
        cells = (
            Delivery.objects.filter(post_id__in=unread)
            .order_by("id")
            .values_list("post_id", "profile_id", "status", "error", "remote_url")
        )
        for post_id, *rest in cells:
            by_post[post_id].append(tuple(rest))
    return by_post


# The tokens `row_clock` writes itself; any other format goes to clock.fmt.
_CLOCK_TOKENS = frozenset("DjMYHigA")
_CLOCK_LITERALS = frozenset(", :")


def row_clock(format_string: str) -> Callable[[datetime], str]:
    """`clock.fmt(value, format_string)` for many values: the format translated to the
    current convention once, and written by hand for the tokens a row uses (Django's
    dateformat builds an object and walks the format on every call: some 60 us, two a
    row). Names (day, month, AM/PM) in the active language, as dateformat has them."""
    translated = clock.translate(format_string)
    if not set(translated) <= _CLOCK_TOKENS | _CLOCK_LITERALS:
        return lambda value: clock.fmt(value, format_string)
    days = [str(name) for name in dates.WEEKDAYS_ABBR.values()]
    months = {number: str(name).title() for number, name in dates.MONTHS_3.items()}
    am, pm = str(_("AM")), str(_("PM"))
    writers: list[Callable[[datetime], str]] = []
    for char in translated:
        if char == "D":
            writers.append(lambda v: days[v.weekday()])
        elif char == "j":
            writers.append(lambda v: str(v.day))
        elif char == "M":
            writers.append(lambda v: months[v.month])
        elif char == "Y":
            writers.append(lambda v: f"{v.year:04d}")
        elif char == "H":
            writers.append(lambda v: f"{v.hour:02d}")
        elif char == "i":
            writers.append(lambda v: f"{v.minute:02d}")
        elif char == "g":
            writers.append(lambda v: str(v.hour % 12 or 12))
        elif char == "A":
            writers.append(lambda v: pm if v.hour > 11 else am)
        else:
            writers.append(lambda v, char=char: char)
    return lambda value: "".join([write(value) for write in writers])


def queue_rows(posts: list[Post], profiles: dict[str, Profile]) -> list[QueueRow]:
    """Each post as its row shows it, in the current time zone."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    this_year = as_local(now, zone).year
    this_year_label = row_clock("D j M, H:i")
    other_year_label = row_clock("D j M Y, H:i")
    hour_minute = row_clock("H:i")
    made = made_here([post.oktopost_id for post in posts]) if posts else {}
    deliveries = deliveries_of(posts) if posts else {}
    rows = []
    for post in posts:
        local = as_local(post.start_at, zone)
        year = "" if local.year == this_year else f" {local.year}"
        seen = post.modified or post.synced_at
        counters_label = ""
        if post.counters_at:
            minutes = int((now - post.counters_at).total_seconds() // 60)
            ago = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
            counters_label = f"as of {hour_minute(as_local(post.counters_at, zone))} · {ago} ago"
        message = post.message
        targets = post_targets(post, profiles, deliveries[post.id])
        lists = post.counters_at is not None
        stats = post.stats_at is not None
        rows.append(
            QueueRow(
                post=post,
                start_iso=local.isoformat(),
                start_label=(other_year_label if year else this_year_label)(local),
                start_input=f"{local:%Y-%m-%dT%H:%M}",
                modified_iso=seen.isoformat() if seen else "",
                counters_label=counters_label,
                text_preview=_truncated(
                    (message.text if message else "") or "(message not synced yet)", 120
                ),
                link_title_preview=(
                    _truncated(message.link_title, 80) if message and message.link_title else ""
                ),
                counter_cells=_counter_cells(post, lists, stats),
                targets=targets,
                made_by=made.get(post.oktopost_id, ""),
                counters_title=(
                    f"{counters_label} (stale)"
                    if counters_label and post.is_sent and post.counters_stale
                    else counters_label
                ),
                targets_title=_targets_title(targets),
            )
        )
    return rows


def queue_row_for_view(oktopost_id: str) -> QueueRow:
    """One post's queue row (a live row's poll, the row after a change made from it), or
    Http404."""
    return queue_rows([post_for_view(oktopost_id)], profiles_by_id())[0]


def _truncated(text: str, length: int) -> str:
    """Django's `truncatechars`, without walking each character of a text that is
    already short: 50 rows of it were a noticeable part of rendering a page."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)
