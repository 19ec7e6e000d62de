"""`python -m bench.budget --posts-per-month N`: a whole UTC day of the API budget, simulated.

A fake clock drives the real limiter (`oktopost.limiter.SqliteLimiter`, the product's
limits from settings: 54/min, 100/5 s, 19,000/day, 30 calls a minute kept for editors,
a pacing bucket of 120) and the real plan (`posts.plan.plan_day`, recomputed every 5
minutes from the simulated mirror and the limiter's pace, as the `plan-refresh` task
does). What Oktopost and our workers do is a model with the product's schedule and costs:

* posts: N a month, created mostly in working hours (08-18 UTC), each sent a few hours
  later; 90 days of history at the start; 3 % fail (one postlog read each);
* incremental sync every 120 s: one list call, a page per 100 changes, a message batch
  for new posts; then failed posts' postlogs (at most 20 a pass) and, when due, a slice of
  20 pages of the full reconcile (`posts/sync/posts.py`), never waiting for the pace;
* counters tick every 60 s: the 48 h and 30 d windows when the plan says they are due,
  10 pages (100 posts each) a tick (`posts/sync/stats.py`);
* stats refresh every 60 s: due posts, one call each, for up to 50 s, the next read due
  after the plan's interval for the post's tier;
* editors: 400 writes a day in working hours (a read and a write each), interactive;
* follower history: one call per connected profile (PROFILES) per UTC day, tried hourly
  until done, at the counters' priority (`posts/sync/followers.py`).

`--webhooks` runs each size twice, polling as above and with webhooks healthy (its
comparison table is `bench/budget_webhooks.py`): each post's change reaches the mirror
WEBHOOK_DELAY after it happens (its counters with it, from the post in the payload), the
incremental sync runs only at its safety-net pace (`WEBHOOKS_SAFETY_NET_SECONDS`, 900 s)
and the plan knows it (`plan_day(sync_every=...)`), so the calls it saves go to stats.

Every call goes through `Limiter.try_acquire` at the simulated time; a refused caller
waits until the limiter's retry time (at most its real `max_wait`, then stops as the
product does). The costs the model assumes are checked against the real code and the
sandbox in tests/test_budget_plan.py. Prints per hour: calls by kind, budget left, the
worst sync lag and stats ages (p50/p90) per tier, then one summary line.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.budget_report import pcts, report
from oktopost.limiter import Limits, SqliteLimiter
from posts.plan import (
    CATALOG_CALLS,
    CATALOG_EVERY,
    COUNTERS_PAGES_PER_TICK,
    DAY,
    FAILED_SHARE,
    HOUR,
    MINUTE,
    PACED_MAX_WAIT,
    PAGE,
    POSTLOGS_MAX_PER_RUN,
    RECONCILE_PAGES_PER_RUN,
    STATS_RUN_SECONDS,
    SYNC_EVERY,
    SYNC_MAX_WAIT,
    Demand,
    Plan,
    plan_day,
    tier_of,
)

# The beat's ticks the plan module does not hold (settings.CELERY_BEAT_SCHEDULE); the
# workers' own numbers come from posts.plan, as the product's do.
COUNTERS_EVERY = 60
STATS_EVERY = 60
PLAN_EVERY = 300
HISTORY_DAYS = 90
EDITOR_WRITES_PER_DAY = 400
KINDS = ("interactive", "sync", "reconcile", "postlogs", "counters", "stats", "followers")
# The limiter's priority of each kind the simulation counts on its own.
PRIORITY_OF = {"followers": "counters"}
# Connected profiles whose followers are read once a day.
PROFILES = 40
FOLLOWERS_EVERY = HOUR

# While webhooks are healthy: the incremental sync's safety-net pace (settings'
# WEBHOOKS_SAFETY_NET_SECONDS) and how long a change takes from Oktopost to the mirror
# (delivery, intake, the worker applying it): the bound tests/test_webhooks_in.py holds
# it to over real HTTP; `python -m bench.intake` measures the intake's part.
WEBHOOKS_SYNC_EVERY = 900
WEBHOOK_DELAY = 5.0

# The product's default share of the key (settings.py).
LIMITS = Limits(per_minute=54, per_5s=100, per_day=19_000, editor_minute=30, burst=120)


@dataclass
class World:
    """Oktopost's posts (start times, sorted) and what our mirror knows of them."""

    start: list[float]  # start time of every post, ascending
    created: list[float]
    failed: list[bool]
    counters_at: list[float]  # when our mirror last read its list counters
    stats_at: list[float]  # when our mirror last read ?stats=1 (shares, impressions)
    # Heaps: posts under 48 h old as (read before, due, index), never-read ones first, then
    # the rest as (due, index): the stats queue serves the young tier first, and in it the
    # posts with no stats yet, as posts/sync/stats.py does.
    stats_due: list[tuple[float, int]] = field(default_factory=list)
    young_due: list[tuple[int, float, int]] = field(default_factory=list)

    def sent_before(self, now: float) -> int:
        """Posts whose start time has passed (the start list is sorted)."""
        lo, hi = 0, len(self.start)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.start[mid] <= now:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def index_at(self, when: float) -> int:
        return self.sent_before(when)


def build_world(per_month: int, day0: float, rng: random.Random) -> World:
    """HISTORY_DAYS of posts before day0 and two days after, created in working hours and
    sent 1-6 h after they were written."""
    per_day = per_month / 30
    created: list[float] = []
    for day in range(-HISTORY_DAYS, 2):
        for _ in range(int(per_day)):
            hour = rng.choice((8, 9, 10, 11, 12, 13, 14, 15, 16, 17)) + rng.random()
            created.append(day0 + day * DAY + hour * HOUR)
    created.sort()
    start = sorted(c + rng.uniform(1, 6) * HOUR for c in created)
    n = len(start)
    failed = [rng.random() < FAILED_SHARE for _ in range(n)]
    return World(start, created, failed, [0.0] * n, [0.0] * n)


def settle_world(world: World, day0: float, plan: Plan, rng: random.Random) -> None:
    """Before day0 the product ran with this plan: each sent post was last read somewhere
    within its tier's interval (and not before it was sent)."""
    for i, s in enumerate(world.start):
        if s > day0:
            continue
        tier = tier_of(day0 - s)
        counters_every = plan.counters_interval("48h" if tier == "48h" else "30d")
        world.counters_at[i] = max(s, day0 - rng.uniform(0, counters_every))
        world.stats_at[i] = max(s, day0 - rng.uniform(0, plan.stats_interval(tier)))


class Sim:
    def __init__(self, per_month: int, seed: int, hours: int, *, webhooks: bool = False) -> None:
        self.webhooks = webhooks
        self.sync_every = WEBHOOKS_SYNC_EVERY if webhooks else SYNC_EVERY
        self.rng = random.Random(seed)
        self.day0 = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
        self.now = self.day0
        self.end = self.day0 + hours * HOUR
        self.world = build_world(per_month, self.day0, self.rng)
        self.tmp = tempfile.TemporaryDirectory(prefix="oktodash-budget-")
        self.limiter = SqliteLimiter(
            Path(self.tmp.name) / "budget.db", LIMITS, clock=lambda: self.now
        )
        self.calls: Counter[tuple[int, str]] = Counter()  # (hour, kind) -> calls
        self.refused_day: list[float] = []  # times a call met a spent day
        self.sync_lag: Counter[int] = Counter()  # hour -> worst lag (s)
        self.last_pass_start = self.day0 - self.sync_every
        self.plan: Plan = self.plan_now()
        settle_world(self.world, self.day0, self.plan, self.rng)
        self.counter_walks: dict[str, dict] = {
            "48h": {"last": self.day0 - 10 * MINUTE, "next": None},
            "30d": {"last": self.day0 - 5 * HOUR, "next": None},
        }
        # The last reconcile finished a day ago: one falls due today.
        self.reconcile = {"last": self.day0 - 23 * HOUR, "cursor": None}
        self.catalog_last = self.day0 - CATALOG_EVERY
        self.postlogs_pending: list[int] = []
        self.followers_read: dict[int, int] = {}  # UTC day -> profiles read that day
        w = self.world
        for i, s in enumerate(w.start):
            if s <= self.day0:
                tier = tier_of(self.day0 - s)
                due = w.stats_at[i] + self.plan.stats_interval(tier)
                if tier == "48h":
                    w.young_due.append((1, due, i))
                else:
                    w.stats_due.append((due, i))
        heapq.heapify(w.stats_due)
        heapq.heapify(w.young_due)
        self.sent_seen = w.sent_before(self.day0)
        # Posts the mirror knows were sent (by a sync pass or a webhook).
        self.known = [i < self.sent_seen for i in range(len(w.start))]
        self.hourly: list[dict] = []

    # --- the budget ------------------------------------------------------------------

    def call(self, kind: str, max_wait: float) -> bool:
        """Take one call at the simulated time, waiting (moving the clock) up to max_wait."""
        deadline = self.now + max_wait
        priority = PRIORITY_OF.get(kind, kind)
        while True:
            decision = self.limiter.try_acquire(priority, now=self.now, deadline=deadline)
            if decision.granted:
                self.calls[(int((self.now - self.day0) // HOUR), kind)] += 1
                self.now += 0.3  # Oktopost's answer time
                return True
            if decision.reason == "day":
                self.refused_day.append(self.now)
                return False
            if decision.retry_at > deadline:
                return False
            self.now = decision.retry_at + 0.01

    # --- the plan --------------------------------------------------------------------

    def demand(self) -> Demand:
        w, now = self.world, self.now
        sent = w.sent_before(now)
        tiers = Counter()
        b48 = w.index_at(now - 48 * HOUR)
        b7 = w.index_at(now - 7 * DAY)
        b30 = w.index_at(now - 30 * DAY)
        tiers["48h"], tiers["7d"], tiers["30d"], tiers["older"] = (
            sent - b48,
            b48 - b7,
            b7 - b30,
            b30,
        )
        week = sum(1 for c in w.created if now - 7 * DAY <= c <= now)
        total = sum(1 for c in w.created if c <= now)
        return Demand(
            tiers=dict(tiers), posts_per_day=week / 7, total_posts=total, profiles=PROFILES
        )

    def plan_now(self) -> Plan:
        budget = self.limiter.report()
        per_day = budget.pace_per_hour * 24 if budget.pace_per_hour else budget.background_left
        return plan_day(self.demand(), per_day, sync_every=self.sync_every)

    # --- the workers -----------------------------------------------------------------

    def sync_pass(self) -> None:
        w = self.world
        started = self.now
        sent_now = w.sent_before(started)
        changes = (sent_now - self.sent_seen) * 2  # sent, and its creation earlier
        pages = 1 + changes // PAGE
        for _ in range(pages):
            if not self.call("sync", SYNC_MAX_WAIT):
                return  # stopped: the next pass resumes
        # The messages of new posts: one batch.
        if sent_now > self.sent_seen and not self.call("sync", SYNC_MAX_WAIT):
            return
        if not self.webhooks:
            # Polling: a change just after the last pass started is seen only now.
            lag = self.now - self.last_pass_start
            hour = int((self.now - self.day0) // HOUR)
            self.sync_lag[hour] = max(self.sync_lag[hour], lag)
        self.last_pass_start = started
        for i in range(self.sent_seen, sent_now):
            self.learn(i)  # a webhook still on its way: the pass found it first
        self.sent_seen = sent_now
        due = self.now - self.catalog_last >= CATALOG_EVERY
        if due and all(self.call("sync", SYNC_MAX_WAIT) for _ in range(CATALOG_CALLS)):
            self.catalog_last = self.now
        for _ in range(min(POSTLOGS_MAX_PER_RUN, len(self.postlogs_pending))):
            if not self.call("postlogs", 0.0):
                break
            self.postlogs_pending.pop()
        self.reconcile_slice()

    def learn(self, i: int) -> None:
        """The mirror learns post i was sent (its counters come with it)."""
        if self.known[i]:
            return
        self.known[i] = True
        w = self.world
        if w.failed[i]:
            self.postlogs_pending.append(i)
        heapq.heappush(w.young_due, (0, w.start[i], i))
        w.counters_at[i] = self.now

    def pushed(self, i: int, when: float) -> None:
        """Post i's postSent webhook has been applied at `when`. The worker that applies
        it makes no API call and runs beside the ones the simulation steps through one at
        a time (a stats run holds the simulated clock for up to 50 s), so the lag is
        counted from `when`, not from the moment the simulation gets here."""
        if not self.known[i]:
            hour = int((when - self.day0) // HOUR)
            self.sync_lag[hour] = max(self.sync_lag[hour], when - self.world.start[i])
        self.learn(i)

    def reconcile_slice(self) -> None:
        due = self.now - self.reconcile["last"] >= self.plan.reconcile_days * DAY
        if self.reconcile["cursor"] is None and not due:
            return
        total = sum(1 for c in self.world.created if c <= self.now)
        pages_total = 2 * math.ceil(total / PAGE)  # posts, then their messages
        cursor = self.reconcile["cursor"] or 0
        for _ in range(RECONCILE_PAGES_PER_RUN):
            if cursor >= pages_total:
                break
            if not self.call("reconcile", 0.0):
                break
            cursor += 1
        if cursor >= pages_total:
            self.reconcile = {"last": self.now, "cursor": None}
        else:
            self.reconcile["cursor"] = cursor

    def counters_tick(self) -> None:
        w = self.world
        for name, span in (("48h", 48 * HOUR), ("30d", 30 * DAY)):
            walk = self.counter_walks[name]
            if walk["next"] is None:
                if self.now - walk["last"] < self.plan.counters_interval(name):
                    continue
                lo = w.index_at(self.now - span)
                walk.update(last=self.now, next=lo, hi=w.sent_before(self.now))
            for _ in range(COUNTERS_PAGES_PER_TICK):
                if walk["next"] >= walk["hi"]:
                    break
                if not self.call("counters", PACED_MAX_WAIT):
                    return
                top = min(walk["next"] + PAGE, walk["hi"])
                for i in range(walk["next"], top):
                    w.counters_at[i] = self.now
                walk["next"] = top
            if walk["next"] >= walk["hi"]:
                walk["next"] = None
            else:
                return  # this window goes on next tick

    def stats_run(self) -> None:
        w = self.world
        stop = self.now + STATS_RUN_SECONDS
        done = 0
        while done < 50 and self.now < stop:
            # Posts that left the young tier move to the other queue, keeping their due time.
            while w.young_due and self.now - w.start[w.young_due[0][2]] >= 48 * HOUR:
                _, due, i = heapq.heappop(w.young_due)
                heapq.heappush(w.stats_due, (due, i))
            if w.young_due and w.young_due[0][1] <= self.now:
                _, _, i = w.young_due[0]
                queue: list = w.young_due
            elif w.stats_due and w.stats_due[0][0] <= self.now:
                _, i = w.stats_due[0]
                queue = w.stats_due
            else:
                return
            if not self.call("stats", PACED_MAX_WAIT):
                return
            heapq.heappop(queue)
            w.stats_at[i] = w.counters_at[i] = self.now
            tier = tier_of(self.now - w.start[i])
            due = self.now + self.plan.stats_interval(tier)
            if tier == "48h":
                heapq.heappush(w.young_due, (1, due, i))
            else:
                heapq.heappush(w.stats_due, (due, i))
            done += 1

    def followers(self) -> None:
        """Profiles not read yet today, one call each, until the pace says wait."""
        day = int((self.now - self.day0) // DAY)
        while self.followers_read.get(day, 0) < PROFILES:
            if not self.call("followers", PACED_MAX_WAIT):
                return
            self.followers_read[day] = self.followers_read.get(day, 0) + 1

    def editor(self) -> None:
        for _ in range(2):  # the read of the current state, then the write
            self.call("interactive", 30.0)

    # --- the day ---------------------------------------------------------------------

    def run(self) -> None:
        events: list[tuple[float, int, str]] = []
        seq = 0

        def at(when: float, what: str) -> None:
            nonlocal seq
            seq += 1
            heapq.heappush(events, (when, seq, what))

        at(self.now, "sync")
        at(self.now + 7, "counters")
        at(self.now + 13, "stats")
        at(self.now + 3, "plan")
        at(self.now + 17, "followers")
        at(self.now + HOUR, "hour")
        for day in range(math.ceil((self.end - self.day0) / DAY)):
            for _ in range(EDITOR_WRITES_PER_DAY):
                when = self.day0 + day * DAY + (8 + 10 * self.rng.random()) * HOUR
                at(when, "editor")
        if self.webhooks:
            for i in range(self.sent_seen, len(self.world.start)):
                at(self.world.start[i] + WEBHOOK_DELAY, f"push {i}")
        every = {"sync": self.sync_every, "counters": COUNTERS_EVERY, "stats": STATS_EVERY}
        every |= {"plan": PLAN_EVERY, "hour": HOUR, "followers": FOLLOWERS_EVERY}
        while events:
            when, _, what = heapq.heappop(events)
            if when > self.end:
                break
            self.now = max(self.now, when)
            if what == "sync":
                self.sync_pass()
            elif what == "counters":
                self.counters_tick()
            elif what == "stats":
                self.stats_run()
            elif what == "plan":
                self.plan = self.plan_now()
            elif what == "editor":
                self.editor()
            elif what == "followers":
                self.followers()
            elif what == "hour":
                self.hour_row(round((when - self.day0) / HOUR) - 1)
            elif what.startswith("push "):
                self.pushed(int(what[5:]), when)
            if what in every:
                # Beat's `expires`: a tick that could not start in time is dropped.
                nxt = when + every[what]
                while nxt < self.now:
                    nxt += every[what]
                at(nxt, what)

    def hour_row(self, hour: int) -> None:
        w, now = self.world, self.now
        ages: dict[str, tuple[list[float], list[float]]] = {}
        sent = w.sent_before(now)
        lo = w.index_at(now - 30 * DAY)
        for i in range(lo, sent):
            tier = tier_of(now - w.start[i])
            counters, stats = ages.setdefault(tier, ([], []))
            counters.append(now - w.counters_at[i] if w.counters_at[i] else math.inf)
            stats.append(now - w.stats_at[i] if w.stats_at[i] else math.inf)
        saved, self.now = self.now, self.day0 + (hour + 1) * HOUR - 0.001  # the hour's last moment
        budget = self.limiter.report()
        self.now = saved
        self.hourly.append(
            {
                "hour": hour,
                "calls": {k: self.calls[(hour, k)] for k in KINDS},
                "left": budget.left_today,
                "lag": self.sync_lag[hour],
                "ages": {t: (pcts(c), pcts(s)) for t, (c, s) in ages.items()},
                "plan": self.plan,
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts-per-month", type=int, action="append", dest="sizes")
    parser.add_argument("--hours", type=int, default=26, help="simulated hours (default 26)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="each size polling and with webhooks healthy, side by side (default 10k, 100k)",
    )
    args = parser.parse_args()
    if args.webhooks:
        from bench.budget_webhooks import compare

        print(compare(args.sizes or [10_000, 100_000], args.seed, args.hours))
        return
    for size in args.sizes or [1_000, 10_000, 100_000]:
        sim = Sim(size, args.seed, args.hours)
        try:
            sim.run()
            print(report(sim, size, kinds=KINDS, per_day=LIMITS.per_day))
            print()
        finally:
            sim.tmp.cleanup()


if __name__ == "__main__":
    main()
