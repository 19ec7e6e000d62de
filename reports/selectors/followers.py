"""Follower growth per profile over a stats view's range, from the mirror's daily
follower history (`posts.models.FollowerDay`, read once a day by posts/sync/followers.py).

The range's local days are matched with Oktopost's days (`HistoryDate`, a calendar day):
follower counts are end-of-day figures, not instants, so there is no hour to convert.
Which profiles: those the view filters by; else the profiles of its networks; else all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from posts.models import FollowerDay, Profile
from reports.selectors.breakdowns import profile_label
from reports.selectors.scope import Scope


@dataclass(frozen=True)
class ProfileGrowth:
    """One profile over the range: followers when it began and at its last day held."""

    profile_id: str
    label: str  # "Northwind Analytics · LinkedIn"
    start: int  # followers at the start of the range's first day held
    end: int  # followers at the end of its last day held
    days: list[tuple[date, int]]  # (day, followers at its end), oldest first

    @property
    def gained(self) -> int:
        return self.end - self.start

    @property
    def percent(self) -> float | None:
        return None if self.start <= 0 else self.gained / self.start * 100


@dataclass
class FollowerGrowth:
    first: date
    last: date
    rows: list[ProfileGrowth] = field(default_factory=list)  # most gained first
    # Followers gained since the range began, summed over the profiles, per day.
    gained_by_day: list[tuple[date, int]] = field(default_factory=list)
    as_of: date | None = None  # the newest day held

    @property
    def start(self) -> int:
        return sum(r.start for r in self.rows)

    @property
    def end(self) -> int:
        return sum(r.end for r in self.rows)

    @property
    def gained(self) -> int:
        return self.end - self.start

    @property
    def percent(self) -> float | None:
        return None if self.start <= 0 else self.gained / self.start * 100


def follower_growth(scope: Scope) -> FollowerGrowth:
    """Each profile in scope with follower history in the range (two queries)."""
    period = scope.period
    profiles = Profile.objects.all()
    if scope.filters.profiles:
        profiles = profiles.filter(oktopost_id__in=scope.filters.profiles)
    elif scope.filters.networks:
        profiles = profiles.filter(network__in=scope.filters.networks)
    labels = {
        pid: profile_label(display or name, network)
        for pid, name, display, network in profiles.values_list(
            "oktopost_id", "name", "display_name", "network"
        )
    }
    found = FollowerGrowth(period.first, period.last)
    history = (
        FollowerDay.objects.filter(day__gte=period.first, day__lte=period.last)
        .filter(profile_id__in=list(labels))
        .order_by("profile_id", "day")
        .values_list("profile_id", "day", "followers", "added")
    )
    per_profile: dict[str, list[tuple[date, int, int]]] = {}
    for pid, day, followers, added in history:
        per_profile.setdefault(pid, []).append((day, followers, added))
    gains: dict[date, int] = {}
    for pid, days in per_profile.items():
        first_day, first_followers, first_added = days[0]
        start = first_followers - first_added
        row = ProfileGrowth(pid, labels[pid], start, days[-1][1], [(d, f) for d, f, _ in days])
        found.rows.append(row)
        # A day the profile has no figure for keeps its last known gain.
        known = dict(row.days)
        current = start
        for day in period.dates():
            if day < first_day:
                continue
            current = known.get(day, current)
            gains[day] = gains.get(day, 0) + current - start
    found.rows.sort(key=lambda r: (-r.gained, r.label.casefold()))
    found.gained_by_day = sorted(gains.items())
    found.as_of = max((r.days[-1][0] for r in found.rows), default=None)
    return found
