"""`python -m bench.budget --webhooks`: each size polling, then with webhooks healthy.

The same simulated day (`bench.budget.Sim`, same seed) twice: as today, and with every
change pushed (the incremental sync at its safety-net pace, the plan told so). One row per
size and mode with the first day's figures, then what the 48 h tier would need: a p90
age of 6 h means reading each young post at least every 6 h / 0.9, one call a post.
"""

from __future__ import annotations

import math

from bench.budget import (
    LIMITS,
    WEBHOOK_DELAY,
    WEBHOOKS_SYNC_EVERY,
    Sim,
    _m,
)
from bench.common import table
from posts.plan import DAY, HOUR, SYNC_EVERY, span

TARGET_P90 = 6 * HOUR


def _first_day(sim: Sim) -> dict:
    day = [h for h in sim.hourly if h["hour"] < 24]
    zero = ((0.0, 0.0), (0.0, 0.0))
    calls = {k: sum(h["calls"][k] for h in day) for k in ("sync", "counters", "stats")}
    young = sim.demand().tiers.get("48h", 0)
    return {
        "calls": calls,
        "used": sum(sum(h["calls"].values()) for h in day),
        "lag": max(h["lag"] for h in sim.hourly),
        "counters_p90": max(h["ages"].get("48h", zero)[0][1] for h in day),
        "stats_p90": max(h["ages"].get("48h", zero)[1][1] for h in day),
        "stats_48h": sim.plan.intervals.get("stats:48h"),
        "counters_48h": sim.plan.intervals.get("counters:48h"),
        "young": young,
    }


def compare(sizes: list[int], seed: int, hours: int) -> str:
    rows = []
    needs = []
    for size in sizes:
        for webhooks in (False, True):
            sim = Sim(size, seed, hours, webhooks=webhooks)
            try:
                sim.run()
                f = _first_day(sim)
            finally:
                sim.tmp.cleanup()
            rows.append(
                [
                    f"{size:,}",
                    "webhooks" if webhooks else "polling",
                    f["calls"]["sync"],
                    f["calls"]["counters"],
                    f["calls"]["stats"],
                    f["used"],
                    f"{f['lag']:.0f} s" if f["lag"] < 120 else _m(f["lag"]),
                    f"{f['counters_p90'] / 60:.1f} min"
                    if f["counters_p90"] < 2 * HOUR
                    else _m(f["counters_p90"]),
                    _m(f["stats_p90"]),
                    "not today" if f["stats_48h"] is None else span(f["stats_48h"]),
                ]
            )
        per_day = f["young"] * DAY / (TARGET_P90 / 0.9)
        needs.append(
            f"- {size:,} a month: {f['young']:,} posts under 48 h; a 6 h p90 needs "
            f"{math.ceil(per_day):,} `?stats=1` reads a day for them alone "
            f"(the key's day: {LIMITS.per_day:,} calls)."
        )
    headers = [
        "posts a month",
        "mode",
        "sync calls",
        "counters calls",
        "stats calls",
        "all calls",
        "worst sync lag",
        "48h counters p90",
        "48h shares/impr. p90",
        "48h stats every",
    ]
    return "\n".join(
        [
            "## Webhooks healthy vs polling: the first simulated day",
            "",
            f"Polling: incremental sync every {SYNC_EVERY} s. Webhooks: every change in the "
            f"mirror {WEBHOOK_DELAY:.0f} s after it happens, the incremental sync every "
            f"{WEBHOOKS_SYNC_EVERY} s as a safety net, the plan counting it so.",
            "",
            table(headers, rows),
            "",
            "What a 6 h p90 for the 48 h tier's shares and impressions costs:",
            *needs,
        ]
    )
