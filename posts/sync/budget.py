"""The day's plan from the mirror and the shared budget (arithmetic in `posts.plan`).

Every few minutes the counters tick recomputes it: how many sent posts each age tier
holds, how many posts a day are created, what background work may still use today (the
limiter's pace, extrapolated to a day) and how often the incremental sync runs (every
15 minutes while webhooks are healthy, `posts.push`, so the calls it saves go to stats).
The plan is stored in `SyncState("plan")`; the stats refresh and the counters tick read
their intervals from it, and the status bar and the stats page show its sentence
(`posts.status.budget_plan`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from posts import push
from posts.connection import get_limiter
from posts.models import SENT_STATUSES, Post, SyncState, follower_profiles
from posts.plan import DAY, TIERS, Demand, Plan, plan_day
from posts.status import PLAN_STATE

PLAN_MAX_AGE = timedelta(minutes=10)


def demand_read(now: datetime) -> Demand:
    """Sent posts per age tier, posts created a day (last 7 days), all live posts, and
    the profiles whose followers are read daily."""
    live = Post.objects.filter(deleted_at__isnull=True)
    bounds = {}
    lower = None
    for name, age, _ in TIERS:
        upper = None if age == float("inf") else now - timedelta(seconds=age)
        q = Q(status__in=SENT_STATUSES)
        if upper is not None:
            q &= Q(start_at__gt=upper)
        if lower is not None:
            q &= Q(start_at__lte=lower)
        bounds[name] = Count("id", filter=q)
        lower = upper
    counts = live.aggregate(
        **bounds,
        week=Count("id", filter=Q(created__gte=now - timedelta(days=7))),
        total=Count("id"),
    )
    return Demand(
        tiers={name: counts[name] for name, _, _ in TIERS},
        posts_per_day=counts["week"] / 7,
        total_posts=counts["total"],
        profiles=follower_profiles().count(),
    )


def background_per_day() -> float:
    """Calls background work may use over a day at today's pace (left / time to midnight)."""
    budget = get_limiter().report()
    if budget.pace_per_hour:
        return budget.pace_per_hour * 24
    return float(budget.background_left)


def plan_refresh(now: datetime | None = None) -> Plan:
    now = now or timezone.now()
    plan = plan_day(demand_read(now), background_per_day(), sync_every=push.incremental_every())
    SyncState.objects.update_or_create(
        name=PLAN_STATE, defaults={"last_success": now, "last_result": plan.as_dict()}
    )
    return plan


def plan_fresh(now: datetime | None = None) -> Plan:
    """The stored plan, recomputed when missing or older than PLAN_MAX_AGE."""
    now = now or timezone.now()
    state = SyncState.objects.filter(name=PLAN_STATE).first()
    if state is None or state.last_success is None or now - state.last_success > PLAN_MAX_AGE:
        return plan_refresh(now)
    try:
        return Plan.from_dict(state.last_result)
    except (KeyError, TypeError, ValueError):
        return plan_refresh(now)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=min(value, 365 * DAY))
