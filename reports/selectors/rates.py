"""The engagement rate: engagement ÷ impressions, only where impressions are known.

Oktopost answers -1 for a counter a network does not report (API reference §4), which
the mirror keeps as 0, and impressions stay 0 until a post's `?stats=1` read: so a
post's impressions are known when they are above 0, and only those posts' engagement is
divided by them. Adding every post's engagement over the impressions of some would
inflate the rate of any mix of networks (a network without impressions adds engagement
and nothing to divide it by). No impressions known: no rate ("—"), never a division by 0.

The test is made post by post on both paths: from the posts by `rated_sums`, and in the
hourly rollup, which keeps the same two sums (`rated`, `rated_impressions`) per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from reports import rollup
from reports.selectors.scope import Scope


def engagement_rate(rated: int, impressions: int) -> float | None:
    """Percent; `rated`: the engagement of the posts whose `impressions` are known."""
    return None if impressions <= 0 else rated / impressions * 100


def rated_sums(prefix: str = "") -> dict:
    """The aggregates a GROUP BY over posts adds for the rate: the engagement and the
    impressions of the posts whose impressions are known."""
    known = Q(**{f"{prefix}impressions__gt": 0})
    engagement = F(f"{prefix}comments") + F(f"{prefix}likes") + F(f"{prefix}shares")
    return {
        "rated": Coalesce(Sum(engagement, filter=known), 0),
        "rated_impressions": Coalesce(Sum(f"{prefix}impressions", filter=known), 0),
    }


@dataclass(frozen=True)
class Rates:
    current: float | None
    previous: float | None


def engagement_rates(
    scope: Scope, *, now: datetime, rows: list[rollup.DayRow] | None = None
) -> Rates:
    """This period's rate and the previous one's: from the rollup's rows when the page
    read them (`rollup_rows`), else one grouped read of the posts of both periods."""
    period, previous = scope.period, scope.period.previous()
    if rows is not None:
        sums = {"current": [0, 0], "previous": [0, 0]}
        for row in rows:
            which = "current" if period.first <= row.day <= period.last else "previous"
            if which == "previous" and not previous.first <= row.day <= previous.last:
                continue
            sums[which][0] += row.figures.get("rated", 0)
            sums[which][1] += row.figures.get("rated_impressions", 0)
        return Rates(engagement_rate(*sums["current"]), engagement_rate(*sums["previous"]))
    found = {}
    for name, part in (("current", period), ("previous", previous)):
        found[name] = scope.posts(now=now, period=part).aggregate(**rated_sums())
    return Rates(
        engagement_rate(found["current"]["rated"], found["current"]["rated_impressions"]),
        engagement_rate(found["previous"]["rated"], found["previous"]["rated_impressions"]),
    )
