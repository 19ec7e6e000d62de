"""The status bar's reads: the last sync, the shared budget, the worker, what is down,
and the parts of Oktopost's catalog that could not be read (names shown as ids)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core.infra import outages
from core.localtime import as_local
from oktopost.limiter import Budget
from posts.catalog_parts import FAILED, PARTS, CatalogGap, state_name
from posts.connection import get_limiter
from posts.heartbeat import WORKER_QUIET_AFTER, worker_seen_at
from posts.models import SyncState
from posts.plan import Plan

PLAN_STATE = "plan"


@dataclass(frozen=True)
class SyncStatus:
    last_sync: datetime | None
    last_error: str
    last_error_at: datetime | None
    next_sync: datetime | None
    budget: Budget | None
    worker_seen: datetime | None
    now: datetime
    outages: list[str]  # the cache or task queue, down, in words
    plan: Plan | None = None  # the day's budget plan (posts/plan.py), once computed
    # Parts of the catalog whose last read failed (posts.sync.catalog), in PARTS order.
    catalog_gaps: tuple[CatalogGap, ...] = ()

    @property
    def blocked_until(self) -> datetime | None:
        until = self.budget.blocked_until_datetime if self.budget else None
        return until if until and until > self.now else None

    @property
    def failing(self) -> bool:
        """The latest sync attempt failed (Oktopost down, answering garbage...)."""
        return bool(
            self.last_error_at and (not self.last_sync or self.last_error_at > self.last_sync)
        )

    @property
    def failing_for(self) -> timedelta | None:
        """How long syncs have been failing: since the last success (or ever)."""
        if not self.failing:
            return None
        return self.now - (self.last_sync or self.last_error_at)

    @property
    def failing_long(self) -> bool:
        limit = timedelta(minutes=settings.SYNC_FAILING_AFTER_MINUTES)
        return self.failing_for is not None and self.failing_for > limit

    @property
    def sync_due_now(self) -> bool:
        """The next sync's time has come (it is running or waits for the worker): the
        status bar says so rather than show a time already past."""
        return self.next_sync is not None and self.next_sync <= self.now

    @property
    def worker_quiet(self) -> bool:
        return self.worker_seen is None or self.now - self.worker_seen > WORKER_QUIET_AFTER

    @property
    def slowed(self) -> bool:
        """Oktopost answered 429 today despite our pacing: we run slower until midnight."""
        return bool(self.budget and self.budget.slowed < 1.0)

    @property
    def budget_percent(self) -> int:
        if not self.budget or not self.budget.limit_today:
            return 0
        return round(100 * self.budget.used_today / self.budget.limit_today)


def sync_status() -> SyncStatus:
    now = timezone.now()
    # The posts sync's state, the day's plan and the catalog's parts in one query.
    names = ("posts", PLAN_STATE, *(state_name(p) for p in PARTS))
    states = {s.name: s for s in SyncState.objects.filter(name__in=names)}
    state = states.get("posts")
    try:
        budget = get_limiter().report()
    except Exception:  # the status bar must render even when Redis is down
        budget = None
    last_sync = state.last_success if state else None
    every = timedelta(seconds=settings.CELERY_BEAT_SCHEDULE["sync-posts"]["schedule"])
    worker_seen = worker_seen_at()
    return SyncStatus(
        last_sync=last_sync,
        last_error=state.last_error if state else "",
        last_error_at=state.last_error_at if state else None,
        next_sync=(last_sync + every) if last_sync else None,
        budget=budget,
        worker_seen=worker_seen,
        now=now,
        outages=outages(),
        plan=_plan(states.get(PLAN_STATE)),
        catalog_gaps=_catalog_gaps(states),
    )


def catalog_gaps() -> tuple[CatalogGap, ...]:
    """The parts of the catalog whose last read failed, as the status bar tells them."""
    names = [state_name(p) for p in PARTS]
    return _catalog_gaps({s.name: s for s in SyncState.objects.filter(name__in=names)})


def _catalog_gaps(states: dict[str, SyncState]) -> tuple[CatalogGap, ...]:
    zone = timezone.get_current_timezone()
    gaps = []
    for part in PARTS:
        state = states.get(state_name(part))
        if state is None or state.last_error_at is None:
            continue
        if state.last_success and state.last_success >= state.last_error_at:
            continue
        gaps.append(
            CatalogGap(
                part=part,
                refused=str(state.last_result.get("refused") or FAILED),
                failed_at=as_local(state.last_error_at, zone),
                error=state.last_error,
                read_at=as_local(state.last_success, zone) if state.last_success else None,
            )
        )
    return tuple(gaps)


def budget_plan() -> Plan | None:
    """The day's plan as the workers last computed it (posts/sync/budget.py)."""
    return _plan(SyncState.objects.filter(name=PLAN_STATE).first())


def _plan(state: SyncState | None) -> Plan | None:
    if state is None or not state.last_result:
        return None
    try:
        return Plan.from_dict(state.last_result)
    except (KeyError, TypeError, ValueError):
        return None
