"""The day's budget plan: how often each kind of background read can run today.

Pure arithmetic (no Django, no I/O), so the product, its tests and `bench/budget.py` share
it. The limiter (`oktopost/limiter.py`) paces background calls so that what they may still
use today lasts until midnight UTC; this module decides how to spend that pace:

1. the sync (keeping the mirror correct) comes off the top, estimated from how many posts
   change a day and how big a reconcile is;
2. then list counters (clicks, conversions, comments, likes: 100 posts a call), the 48 h
   window before the 30 d one;
3. then per-post `?stats=1` reads (shares, impressions: one call a post), youngest first.

Each item has a target interval (what we want) and a floor (the slowest we accept before
the next item gets anything). First every item gets its floor, in order, until the budget
runs out (the item where it runs out is stretched, later ones get nothing); then what is
left improves items toward their targets, in the same order. So the youngest posts are
protected first and older tiers stretch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

MINUTE = 60
HOUR = 3600
DAY = 86400
PAGE = 100  # posts (or messages) per list call

# Age tiers of sent posts, youngest first: (name, upper age bound in seconds, label).
TIERS: tuple[tuple[str, float, str], ...] = (
    ("48h", 48 * HOUR, "under 48 h old"),
    ("7d", 7 * DAY, "under 7 days"),
    ("30d", 30 * DAY, "under 30 days"),
    ("older", math.inf, "older"),
)

# What the beat schedule runs regardless of stats (settings.CELERY_BEAT_SCHEDULE).
SYNC_EVERY = 120  # incremental sync
CATALOG_EVERY = 30 * MINUTE  # campaigns, profiles, users, tags, calendar notes
# Calls one refresh of the catalog takes: a list call for each of its five parts (more
# only for an account with over 100 of one; posts.sync.catalog).
CATALOG_CALLS = 5
RECONCILE_SHARE = 0.15  # a full reconcile may take this share of the day's background calls
CHANGES_PER_POST = 3.0  # created, sent, and one edit or status change on average
FAILED_SHARE = 0.03  # posts that fail or partly fail, each costing one postlog read

# How the workers take their share (posts/sync/*), kept here so the plan, the workers and
# the day simulation (bench/budget.py) use the same numbers.
SYNC_MAX_WAIT = 90.0  # a sync waits this long for the budget, then resumes next tick
# Background reads wait at most this long for the pace, then stop and leave the rest to
# the next tick (a worker is not held asleep).
PACED_MAX_WAIT = 5.0
STATS_RUN_SECONDS = 50  # one stats refresh run stops after this long (beat: every minute)
# List pages one counters tick reads; the walk resumes next tick, so the posts lock is
# never held long and the incremental sync keeps its pace.
COUNTERS_PAGES_PER_TICK = 10
# A full reconcile runs in slices of this many pages after incremental passes.
RECONCILE_PAGES_PER_RUN = 20
# At most this many postlogs a pass (one call each), so a backlog after an outage is
# worked off over several passes instead of flooding the budget.
POSTLOGS_MAX_PER_RUN = 20


@dataclass(frozen=True, slots=True)
class Item:
    """One kind of read the plan schedules."""

    key: str  # "counters:48h", "stats:7d", ...
    posts: int  # posts it covers
    per_call: int  # posts one call serves (100 for list counters, 1 for ?stats=1)
    target: int  # seconds: the interval we want
    floor: int  # seconds: the slowest we accept before later items get anything

    def calls(self) -> int:
        """Calls one pass over its posts takes."""
        return math.ceil(self.posts / self.per_call) if self.posts else 0

    def per_day(self, interval: float | None) -> float:
        if interval is None or not self.posts:
            return 0.0
        return self.calls() * DAY / interval

    def interval_for(self, calls_per_day: float) -> float | None:
        """The shortest interval this many calls a day buys (None: not even one pass)."""
        if not self.posts:
            return float(self.target)
        if calls_per_day < self.calls():
            return None
        return max(float(self.target), self.calls() * DAY / calls_per_day)


@dataclass(frozen=True, slots=True)
class Demand:
    """What the mirror holds: sent posts per age tier, posts created a day, all posts."""

    tiers: dict[str, int]
    posts_per_day: float
    total_posts: int
    # Connected profiles: each costs one follower-history call a day
    # (posts/sync/followers.py).
    profiles: int = 0


def items_for(demand: Demand) -> list[Item]:
    """The plan's items in priority order."""
    t = demand.tiers
    n48, n7, n30, old = (t.get(name, 0) for name, _, _ in TIERS)
    return [
        Item("counters:48h", n48, PAGE, 15 * MINUTE, HOUR),
        Item("counters:30d", n48 + n7 + n30, PAGE, 6 * HOUR, DAY),
        Item("stats:48h", n48, 1, HOUR, 6 * HOUR),
        Item("stats:7d", n7, 1, 4 * HOUR, DAY),
        Item("stats:30d", n30, 1, DAY, 7 * DAY),
        Item("stats:older", old, 1, 7 * DAY, 30 * DAY),
    ]


def sync_per_day(
    demand: Demand, background_per_day: float, *, sync_every: float = SYNC_EVERY
) -> dict[str, float]:
    """Calls a day keeping the mirror correct takes: incremental passes (one list call each
    plus a page per 100 changes and a call per 100 new messages), the catalog, postlogs of
    failed posts, a full reconcile spread over as many days as its share allows, and one
    follower-history call per connected profile.
    `sync_every`: seconds between incremental passes (longer while webhooks are healthy:
    the passes they save go to stats; the changes are still listed once)."""
    changes = demand.posts_per_day * CHANGES_PER_POST
    incremental = DAY / sync_every + changes / PAGE + demand.posts_per_day / PAGE
    catalog = DAY / CATALOG_EVERY * CATALOG_CALLS
    postlogs = demand.posts_per_day * FAILED_SHARE
    reconcile_calls = 2 * math.ceil(demand.total_posts / PAGE)  # posts, then their messages
    reconcile_days = reconcile_every_days(demand, background_per_day)
    return {
        "incremental": incremental,
        "catalog": catalog,
        "postlogs": postlogs,
        "reconcile": reconcile_calls / reconcile_days,
        "followers": float(demand.profiles),
    }


def reconcile_every_days(demand: Demand, background_per_day: float) -> int:
    """Days between full reconciles: daily when it fits in its share, else stretched."""
    calls = 2 * math.ceil(demand.total_posts / PAGE)
    share = max(1.0, background_per_day * RECONCILE_SHARE)
    return max(1, math.ceil(calls / share))


@dataclass
class Plan:
    """Intervals (seconds; None: not today) per item, and the figures behind them."""

    background_per_day: float
    sync: dict[str, float]
    intervals: dict[str, float | None]
    reconcile_days: int
    planned_per_day: float = 0.0
    short: list[str] = field(default_factory=list)  # items below their floor
    sync_every: float = SYNC_EVERY  # seconds between incremental passes it assumed

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        return cls(
            background_per_day=float(data["background_per_day"]),
            sync={k: float(v) for k, v in data["sync"].items()},
            intervals={k: (None if v is None else float(v)) for k, v in data["intervals"].items()},
            reconcile_days=int(data["reconcile_days"]),
            planned_per_day=float(data.get("planned_per_day", 0.0)),
            short=list(data.get("short", [])),
            sync_every=float(data.get("sync_every", SYNC_EVERY)),
        )

    def interval(self, key: str, default: float) -> float:
        """Seconds between reads for an item; a day or more when it gets no budget today."""
        value = self.intervals.get(key, default)
        return max(default, float(DAY)) if value is None else value

    def stats_interval(self, tier: str) -> float:
        return self.interval(f"stats:{tier}", DEFAULT_STATS[tier])

    def counters_interval(self, window: str) -> float:
        return self.interval(f"counters:{window}", DEFAULT_COUNTERS[window])

    def headline(self) -> str:
        """The status bar's short form: "stats refresh every 1 h for posts under 48 h old,
        every 4 h under 7 days, …"."""
        words = []
        for name, _, label in TIERS:
            value = self.intervals.get(f"stats:{name}")
            when = "not today" if value is None else f"every {span(value)}"
            words.append(f"{when} for posts {label}" if not words else f"{when} {label}")
        return "Stats refresh " + ", ".join(words)

    def sentence(self) -> str:
        """What users are told: "Shares and impressions every 1 h for posts under 48 h old,
        …; counters every 15 min under 48 h, every 6 h under 30 days"."""
        parts = []
        for name, _, label in TIERS:
            value = self.intervals.get(f"stats:{name}")
            parts.append(f"{'not today' if value is None else 'every ' + span(value)} ({label})")
        counters = [
            f"{'not today' if v is None else 'every ' + span(v)} ({label})"
            for key, label in (("counters:48h", "under 48 h"), ("counters:30d", "under 30 days"))
            for v in [self.intervals.get(key)]
        ]
        return (
            f"Clicks, conversions, comments and likes {', '.join(counters)}; "
            f"shares and impressions {', '.join(parts)}."
        )


# Without a plan yet (a fresh install): the targets.
DEFAULT_STATS = {"48h": HOUR, "7d": 4 * HOUR, "30d": DAY, "older": 7 * DAY}
DEFAULT_COUNTERS = {"48h": 15 * MINUTE, "30d": 6 * HOUR}


def plan_day(demand: Demand, background_per_day: float, *, sync_every: float = SYNC_EVERY) -> Plan:
    """Spend a day's background calls: the sync first, then each item's floor in priority
    order, then improvements toward the targets in the same order. While webhooks are
    healthy the incremental sync runs every `sync_every` seconds (the safety net) and
    what it no longer spends is left for the items."""
    sync = sync_per_day(demand, background_per_day, sync_every=sync_every)
    left = background_per_day - sum(sync.values())
    items = items_for(demand)
    chosen: dict[str, float | None] = {}
    short: list[str] = []
    # Pass 1: floors, in order; where the budget runs out, stretch, and later items wait.
    for item in items:
        need = item.per_day(item.floor)
        if need <= left:
            chosen[item.key] = float(item.floor) if item.posts else float(item.target)
            left -= need
        else:
            interval = item.interval_for(max(left, 0.0))
            chosen[item.key] = interval
            left -= item.per_day(interval)
            short.append(item.key)
    # Pass 2: what is left buys shorter intervals, youngest first.
    for item in items:
        current = chosen[item.key]
        if current is None or item.key in short:
            continue
        better = item.interval_for(left + item.per_day(current))
        if better is not None and better < current:
            left -= item.per_day(better) - item.per_day(current)
            chosen[item.key] = better
    planned = sum(sync.values()) + sum(item.per_day(chosen[item.key]) for item in items)
    return Plan(
        background_per_day=background_per_day,
        sync=sync,
        intervals=chosen,
        reconcile_days=reconcile_every_days(demand, background_per_day),
        planned_per_day=planned,
        short=short,
        sync_every=sync_every,
    )


def span(seconds: float) -> str:
    """1 h, 90 min, 6 h, 1 day, 3 days, 2 weeks: the words the UI uses for an interval."""
    if seconds < 2 * HOUR and seconds % HOUR:
        return f"{max(1, round(seconds / MINUTE))} min"
    if seconds < 2 * DAY:
        hours = seconds / HOUR
        return f"{hours:.0f} h" if hours >= 10 or hours == int(hours) else f"{hours:.1f} h"
    if seconds < 14 * DAY:
        return f"{seconds / DAY:.0f} days"
    return f"{seconds / (7 * DAY):.0f} weeks"


def tier_of(age_seconds: float) -> str:
    for name, bound, _ in TIERS:
        if age_seconds < bound:
            return name
    return TIERS[-1][0]
