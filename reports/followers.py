"""The stats page's follower-growth section: what `templates/stats/section_followers.html`
shows, for the page (filled in after it loads, `review.section`) and for anything else
that renders the same template for a view, such as a PDF of it."""

from __future__ import annotations

from dataclasses import dataclass

from reports import charts
from reports.query import StatsQuery
from reports.selectors import ProfileGrowth, follower_growth

# Profiles with a line of their own in the table; the chart sums every profile in scope.
FOLLOWER_ROWS = 50


@dataclass(frozen=True)
class GrowthRow:
    growth: ProfileGrowth
    spark: charts.Spark


def follower_section(sq: StatsQuery) -> dict:
    """The context of section_followers.html for one stats view."""
    found = follower_growth(sq.scope)
    days = found.gained_by_day
    chart = charts.growth_chart(
        [gain for _, gain in days],
        [f"{d.day} {d:%b}" for d, _ in days],
        [f"{d:%a %-d %b}: {gain:+,} followers since {found.first:%-d %b}" for d, gain in days],
        height=140,
    )
    rows = [GrowthRow(r, charts.sparkline([f for _, f in r.days])) for r in found.rows]
    return {
        "followers": found,
        "follower_rows": rows[:FOLLOWER_ROWS],
        "follower_more": len(rows) > FOLLOWER_ROWS,
        "follower_chart": chart,
    }
