"""The figures of a period: its totals against the previous period's, the same per
local day, and the daily trend. One GROUP BY over the period's posts (or the hourly
rollup's rows) gives every day; totals and the trend are sums of those days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Min, Q, Sum, Value
from django.db.models.functions import Coalesce

from core.terms import COUNTER_LABELS, COUNTERS, STATS_COUNTERS
from posts.models import SENT_STATUSES
from posts.selectors import Unindexed
from reports import rollup
from reports.localsql import local_seconds
from reports.ranges import Period
from reports.selectors.scope import STATUS_COUNTS, Scope

# Rows whose oldest sent post's counters are older than this are marked stale: the stats
# refresh reads every sent post at least daily (posts/sync/stats.py), so twice that
# means it is not keeping up.
STALE_AFTER = timedelta(days=2)
EPOCH = date(1970, 1, 1)
DAY = 86_400


# --- aggregates ------------------------------------------------------------------------


def aggregates(prefix: str = "", where: Q | None = None, suffix: str = "") -> dict:
    """Counter sums, post counts by outcome and freshness, as aggregate expressions.

    `where` limits every aggregate to part of the rows (one period of two)."""

    def cond(extra: Q | None = None) -> Q | None:
        parts = [q for q in (where, extra) if q is not None]
        if not parts:
            return None
        result = parts[0]
        for part in parts[1:]:
            result &= part
        return result

    sent = Q(**{f"{prefix}status__in": SENT_STATUSES})
    out: dict = {f"posts{suffix}": Count(f"{prefix}id", filter=cond())}
    for name in COUNTERS:
        out[f"{name}{suffix}"] = Coalesce(Sum(f"{prefix}{name}", filter=cond()), 0)
    for name, (status, _) in STATUS_COUNTS.items():
        out[f"{name}{suffix}"] = Count(f"{prefix}id", filter=cond(Q(**{f"{prefix}status": status})))
    out[f"outcomes{suffix}"] = Count(f"{prefix}id", filter=cond(sent))
    out[f"unfetched{suffix}"] = Count(
        f"{prefix}id", filter=cond(sent & Q(**{f"{prefix}counters_at__isnull": True}))
    )
    out[f"unfetched_stats{suffix}"] = Count(
        f"{prefix}id", filter=cond(sent & Q(**{f"{prefix}stats_at__isnull": True}))
    )
    out[f"oldest{suffix}"] = Min(f"{prefix}counters_at", filter=cond(sent))
    out[f"oldest_stats{suffix}"] = Min(f"{prefix}stats_at", filter=cond(sent))
    return out


@dataclass
class Figures:
    """One set of numbers: a period's totals or a breakdown row."""

    posts: int = 0
    clicks: int = 0
    conversions: int = 0
    comments: int = 0
    likes: int = 0
    shares: int = 0
    impressions: int = 0
    sent: int = 0
    partly: int = 0
    failed: int = 0
    outcomes: int = 0  # sent in any way: the posts that can have counters
    unfetched: int = 0
    unfetched_stats: int = 0
    oldest: datetime | None = None
    oldest_stats: datetime | None = None

    @classmethod
    def of(cls, row: dict, suffix: str = "") -> Figures:
        return cls(
            **{
                name: row.get(f"{name}{suffix}") or cls.__dataclass_fields__[name].default
                for name in cls.__dataclass_fields__
            }
        )

    @property
    def engagement(self) -> int:
        return self.comments + self.likes + self.shares

    def known(self, counter: str) -> bool:
        """False when no sent post here has had this counter read yet ("not yet")."""
        missing = self.unfetched_stats if counter in STATS_COUNTERS else self.unfetched
        return not (self.outcomes and missing >= self.outcomes)

    def missing(self, counter: str) -> int:
        return self.unfetched_stats if counter in STATS_COUNTERS else self.unfetched

    def stale(self, now: datetime) -> bool:
        return bool(self.oldest and now - self.oldest > STALE_AFTER)

    def value(self, name: str) -> int:
        return getattr(self, name)

    def per_post(self, name: str) -> float | None:
        """The average of a counter (or "engagement") per sent post whose figure was
        read; None when none was. Engagement needs shares, which come with impressions,
        so it counts the posts whose shares and impressions were read."""
        missing = self.unfetched_stats if name == "engagement" else self.missing(name)
        read = self.outcomes - missing
        value = self.engagement if name == "engagement" else self.value(name)
        return value / read if read > 0 else None

    @property
    def engagement_per_post(self) -> float | None:
        return self.per_post("engagement")


@dataclass(frozen=True)
class Delta:
    label: str
    key: str
    now: int
    before: int
    known: bool
    missing: int
    per_post: float | None = None  # this period's average per sent post (`Figures.per_post`)

    @property
    def change(self) -> int:
        return self.now - self.before

    @property
    def percent(self) -> float | None:
        return None if not self.before else self.change / self.before * 100

    @property
    def new(self) -> bool:
        return not self.before and bool(self.now)


@dataclass(frozen=True)
class Totals:
    current: Figures
    previous: Figures
    deltas: list[Delta]


def rollup_rows(scope: Scope, *, now: datetime) -> list[rollup.DayRow] | None:
    """Every figure per (local day, network) over both periods, from the hourly rollup
    (one query; exact, see reports/rollup.py); None when the scope's filters or zone are
    not what the rollup can answer."""
    both = Period(scope.period.previous().first, scope.period.last)
    plan = rollup.plan_for(scope.filters, both, scope.zone, now=now)
    return None if plan is None else rollup.daily_rows(plan)


def posts_day_rows(scope: Scope, *, now: datetime) -> list[rollup.DayRow]:
    """What `rollup_rows` gives, from the posts, for a scope the rollup does not serve:
    every figure and the rate's sums per (local day, network) over both periods, in ONE
    read of the posts, from which the page takes its totals, trend, rates and breakdown
    by network (each was a read of the range of its own).

    Grouped by status as well, with plain sums and counts: the outcome counts, the
    unfetched counts and the oldest times are folded from those here. Twenty aggregates
    each with its own FILTER doubled PostgreSQL's time for a scope of many posts (issue
    31: a words scope's read at 1M posts, with COUNT(*) below, 465 -> 257 ms; SQLite
    240 -> 230)."""
    from reports.selectors.rates import rated_sums

    both = Period(scope.period.previous().first, scope.period.last)
    grouped = (
        scope.posts(now=now, period=both)
        .annotate(day=local_seconds(both, scope.zone) / Value(DAY))
        .values(
            "day",
            grouped_network=Unindexed(F("network")),
            grouped_status=Unindexed(F("status")),
        )
        # The rate's sums first: "comments" then names the counter's sum.
        .annotate(
            **rated_sums(),
            # COUNT(*), not of the id: the id is in no covering index on PostgreSQL,
            # and reading it took the posts' rows (a hash join over the whole table).
            posts=Count("*"),
            **{name: Sum(name) for name in COUNTERS},
            fetched=Count("counters_at"),
            fetched_stats=Count("stats_at"),
            oldest=Min("counters_at"),
            oldest_stats=Min("stats_at"),
        )
        .order_by()
    )
    rows: dict[tuple[int, str], dict] = {}
    for r in grouped:
        row = rows.setdefault((int(r["day"]), r["grouped_network"]), _empty_day())
        n = r["posts"]
        row["posts"] += n
        for name in (*COUNTERS, "rated", "rated_impressions"):
            row[name] += r[name] or 0
        status = r["grouped_status"]
        for name, (counted, _) in STATUS_COUNTS.items():
            if status == counted:
                row[name] += n
        if status in SENT_STATUSES:
            row["outcomes"] += n
            row["unfetched"] += n - r["fetched"]
            row["unfetched_stats"] += n - r["fetched_stats"]
            for name in ("oldest", "oldest_stats"):
                if r[name] is not None and (row[name] is None or r[name] < row[name]):
                    row[name] = r[name]
    return [
        rollup.DayRow(EPOCH + timedelta(days=day), network, figures)
        for (day, network), figures in rows.items()
    ]


def _empty_day() -> dict:
    """A (day, network)'s figures before any post is added: what aggregates() gives."""
    figures: dict = {name: 0 for name in ("posts", *COUNTERS, "rated", "rated_impressions")}
    figures |= {name: 0 for name in STATUS_COUNTS}
    figures |= {"outcomes": 0, "unfetched": 0, "unfetched_stats": 0}
    return figures | {"oldest": None, "oldest_stats": None}


def daily(
    scope: Scope, *, now: datetime, rows: list[rollup.DayRow] | None = None
) -> dict[date, Figures]:
    """Every figure per local day, over the previous period and this one, in one query:
    the totals and the trend are both sums of these (a few hundred grouped rows).
    `rows`: the rollup's answer (`rollup_rows`), summed here over networks."""
    if rows is not None:
        per_day: dict[date, list[Figures]] = {}
        for row in rows:
            per_day.setdefault(row.day, []).append(Figures.of(row.figures))
        return {day: figures_sum(found) for day, found in per_day.items()}
    both = Period(scope.period.previous().first, scope.period.last)
    grouped = (
        scope.posts(now=now, period=both)
        .annotate(day=local_seconds(both, scope.zone) / Value(DAY))
        .values("day")
        .annotate(**aggregates())
        .order_by()
    )
    return {EPOCH + timedelta(days=int(r["day"])): Figures.of(r) for r in grouped}


def figures_sum(figures: list[Figures]) -> Figures:
    total = Figures()
    for f in figures:
        for name in Figures.__dataclass_fields__:
            value = getattr(f, name)
            if name.startswith("oldest"):
                if value is not None:
                    current = getattr(total, name)
                    setattr(total, name, value if current is None else min(current, value))
            else:
                setattr(total, name, getattr(total, name) + value)
    return total


def totals(scope: Scope, *, now: datetime, days: dict[date, Figures] | None = None) -> Totals:
    """This period and the previous one (from `daily`, read here when not given)."""
    days = daily(scope, now=now) if days is None else days
    period, previous = scope.period, scope.period.previous()
    cur = figures_sum([f for d, f in days.items() if period.first <= d <= period.last])
    prev = figures_sum([f for d, f in days.items() if previous.first <= d <= previous.last])
    deltas = [
        Delta(
            label,
            key,
            cur.value(key),
            prev.value(key),
            cur.known(key),
            cur.missing(key),
            per_post=cur.per_post(key),
        )
        for key, label in COUNTER_LABELS.items()
    ]
    deltas.append(
        Delta(
            "Engagement",
            "engagement",
            cur.engagement,
            prev.engagement,
            True,
            0,
            per_post=cur.engagement_per_post,
        )
    )
    deltas += [
        Delta(label, key, cur.value(key), prev.value(key), True, 0)
        for key, (_, label) in STATUS_COUNTS.items()
    ]
    return Totals(cur, prev, deltas)


# --- the daily trend ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendDay:
    day: date
    posts: int
    value: int
    before_day: date
    before_posts: int
    before_value: int


def trend(
    scope: Scope, counter: str, *, now: datetime, days: dict[date, Figures] | None = None
) -> list[TrendDay]:
    """Per local day: posts sent (in any outcome) and the sum of `counter`, with the
    previous period's day at the same position."""
    days = daily(scope, now=now) if days is None else days
    empty = Figures()

    def value(f: Figures) -> int:
        return f.engagement if counter == "engagement" else f.value(counter)

    result = []
    shift = scope.period.days
    for day in scope.period.dates():
        before = day - timedelta(days=shift)
        cur, prev = days.get(day, empty), days.get(before, empty)
        result.append(TrendDay(day, cur.outcomes, value(cur), before, prev.outcomes, value(prev)))
    return result
