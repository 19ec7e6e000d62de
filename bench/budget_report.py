"""The table `python -m bench.budget` prints for one simulated day (bench/budget.py)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench.common import table
from posts.plan import HOUR, MINUTE

if TYPE_CHECKING:
    from bench.budget import Sim


def pcts(values: list[float]) -> tuple[float, float]:
    """p50 and p90 (infinite for posts never read)."""
    if not values:
        return (0.0, 0.0)
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def _m(seconds: float) -> str:
    if seconds == math.inf:
        return "never"
    if seconds >= 2 * HOUR:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / MINUTE:.0f} min"


def report(sim: Sim, per_month: int, *, kinds: tuple[str, ...], per_day: int) -> str:
    rows = []
    for h in sim.hourly:
        a = h["ages"]
        c48, s48 = a.get("48h", ((0, 0), (0, 0)))
        _, s7 = a.get("7d", ((0, 0), (0, 0)))
        c30, s30 = a.get("30d", ((0, 0), (0, 0)))
        rows.append(
            [
                f"{h['hour'] % 24:02d}:00" + (" +1d" if h["hour"] >= 24 else ""),
                *(h["calls"][k] for k in kinds),
                h["left"],
                _m(h["lag"]),
                f"{_m(c48[0])} / {_m(c48[1])}",
                f"{_m(s48[0])} / {_m(s48[1])}",
                f"{_m(s7[1])}",
                f"{_m(c30[1])} / {_m(s30[1])}",
            ]
        )
    headers = [
        "hour (UTC)",
        *kinds,
        "left today",
        "worst sync lag",
        "48h counters p50/p90",
        "48h shares+impr. p50/p90",
        "7d shares+impr. p90",
        "30d counters/shares p90",
    ]
    day = [h for h in sim.hourly if h["hour"] < 24]
    ran_out = (
        datetime.fromtimestamp(sim.refused_day[0], UTC).strftime("%H:%M UTC")
        if sim.refused_day
        else "never"
    )
    worst_lag = max(h["lag"] for h in sim.hourly)
    p90_48c = max(h["ages"].get("48h", ((0, 0), (0, 0)))[0][1] for h in day)
    p90_48s = max(h["ages"].get("48h", ((0, 0), (0, 0)))[1][1] for h in day)
    used = sum(sum(h["calls"].values()) for h in day)
    plan = sim.plan
    lines = [
        f"## {per_month:,} posts a month: a simulated UTC day and the first hours of the next",
        "",
        table(headers, rows),
        "",
        f"Calls on the first day: {used:,} of {per_day:,}. "
        f"Plan at the end: {plan.headline()} (reconcile every {plan.reconcile_days} day(s)).",
        "",
        f"budget ran out: {ran_out}; worst sync lag: {_m(worst_lag)}; "
        f"48h-tier counters age p90: {_m(p90_48c)}; 48h-tier shares/impressions age p90: "
        f"{_m(p90_48s)}",
    ]
    return "\n".join(lines)
