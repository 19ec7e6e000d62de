"""The tables of `python -m bench.stats`: what the workers and the web process saw, per
minute and in all, against our limiter's caps and the targets (no 429s, >= 90 % of the
budget used while work remained), and the posts refreshed by tier.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections import Counter
from datetime import datetime
from typing import Any

from bench.common import load_average, pct, table
from oktopost.limiter import Limits

TIERS = ("48h", "7d", "30d", "older")
# Our limiter's caps (oktopost.limiter.Limits defaults, which settings use unless overridden).
LIMITS = Limits()
CAP_MINUTE = LIMITS.per_minute
CAP_5S = LIMITS.per_5s
# What background calls alone may fill: the cap less the reserve editors have not used.
BACKGROUND_MINUTE = LIMITS.background_cap(CAP_MINUTE)
RESERVE_MINUTE = LIMITS.reserve(CAP_MINUTE)


def report(
    *,
    args: argparse.Namespace,
    started_at: datetime,
    scratch_label: str,
    full: Any,
    sync_seconds: float,
    sent: int,
    due_at_start: Counter[str],
    due_at_end: Counter[str],
    results: dict[str, dict[str, Any]],
    sandbox_calls: dict[str, Any],
    start: float,
    end: float,
) -> None:
    window = end - start
    workers = [n for n in results if n != "web"]
    # When did the queue run dry (a batch that found nothing due)? Until then, work remained.
    dry = [b["began"] for n in workers for b in results[n]["batches"] if b["dry"]]
    busy_end = min([end, *dry])
    busy = busy_end - start

    def in_window(name: str, lo: float, hi: float) -> list[list[Any]]:
        return [a for a in results[name]["answers"] if lo <= a[0] < hi]

    print(f"## stats refresh, {started_at:%Y-%m-%d %H:%M} UTC\n")
    print(
        table(
            ["setting", "value"],
            [
                ["posts in the sandbox (seed)", f"{args.posts:,} ({args.seed})"],
                ["database", scratch_label],
                ["load average (1/5/15 min) at the end", load_average()],
                [
                    "initial full sync (not measured below)",
                    f"{full.created:,} posts, {full.calls:,} calls, {sync_seconds:.1f} s",
                ],
                [
                    "sent posts / due when the run started",
                    f"{sent:,} / {sum(due_at_start.values()):,}",
                ],
                ["sandbox limits", "60/min, 120/5 s, 20,000/day, 900 s block"],
                [
                    "shared limiter (SQLite file)",
                    f"{CAP_MINUTE}/min, {CAP_5S}/5 s; interactive reserve "
                    f"{LIMITS.interactive_reserve:.0%} ({RESERVE_MINUTE}/min): background alone "
                    f"may fill {BACKGROUND_MINUTE}/min, beside editors {CAP_MINUTE}/min less "
                    "their calls beyond the reserve",
                ],
                [
                    "workers",
                    f"{len(workers)} OS processes looping stats_refresh(limit={args.batch})",
                ],
                ["web", f"1 OS process, interactive call every {args.web_every:g} s"],
                ["measured window", f"{window / 60:.2f} min"],
            ],
        )
    )

    # Calls per minute per process (our side: every HTTP answer received).
    minutes = math.ceil(window / 60 - 1e-9)
    rows = []
    statuses = Counter()
    for m in range(minutes):
        lo, hi = start + 60 * m, min(end, start + 60 * (m + 1))
        counts = [len(in_window(n, lo, hi)) for n in results]
        limited = sum(1 for n in results for a in in_window(n, lo, hi) if a[2] == 429)
        total = sum(counts)
        label = f"{m + 1}" + ("" if hi - lo >= 59.999 else f" ({hi - lo:.0f} s)")
        rows.append([label, *counts, total, limited, pct(total, CAP_MINUTE * (hi - lo) / 60)])
    for n in results:
        statuses.update(a[2] for a in results[n]["answers"])
    totals = [len(in_window(n, start, end)) for n in results]
    rows.append(
        [
            "per min (avg)",
            *[round(t * 60 / window, 1) for t in totals],
            round(sum(totals) * 60 / window, 1),
            "",
            "",
        ]
    )
    print(f"\nCalls answered per minute, by process (share = total / our {CAP_MINUTE}/min cap):\n")
    print(table(["minute", *results, "total", "429s", f"share of {CAP_MINUTE}/min"], rows))

    busy_calls = sum(len(in_window(n, start, busy_end)) for n in results)
    # The first minute starts with an empty limiter window, so it may burst past 54; from the
    # second minute on the sliding window is in steady state.
    steady_start = start + 60
    steady = busy_end - steady_start
    steady_calls = sum(len(in_window(n, steady_start, busy_end)) for n in results)
    steady_allowed = CAP_MINUTE * steady / 60
    bg_calls = sum(len(in_window(n, start, busy_end)) for n in workers)
    web_busy_calls = len(in_window("web", start, busy_end))
    allowed = CAP_MINUTE * busy / 60
    limited_total = sandbox_calls["rate_limited"]
    refreshed = Counter[str]()
    stopped_by_budget = 0
    stopped_why = Counter[str]()
    for n in workers:
        for b in results[n]["batches"]:
            refreshed.update(b["by_tier"])
            if b["stopped"] and "benchmark window over" not in b["stopped"]:
                stopped_by_budget += 1
                stopped_why[b["stopped"]] += 1
    fetched = [
        a[3] for n in workers for a in results[n]["answers"] if a[2] == 200 and "/post/" in a[3]
    ]
    distinct = len(set(fetched))
    web_calls = results["web"]["calls"]
    web_seconds = sorted(c["seconds"] for c in web_calls)
    web_failed = Counter(c["outcome"] for c in web_calls if c["outcome"] != "ok")

    print("\nTargets:\n")
    print(
        table(
            ["measure", "result", "target", "met"],
            [
                [
                    "429s received (sandbox /_sandbox/calls rate_limited)",
                    limited_total,
                    "0",
                    "yes" if limited_total == 0 else "NO",
                ],
                [
                    f"budget used while work remained ({busy / 60:.2f} min)",
                    f"{busy_calls:,} calls = {pct(busy_calls, allowed)} of {allowed:,.0f} allowed",
                    ">= 90%",
                    "yes" if allowed and busy_calls >= 0.9 * allowed else "NO",
                ],
                [
                    "  the same from minute 2 on (steady state)",
                    f"{steady_calls:,} calls = {pct(steady_calls, steady_allowed)} of "
                    f"{steady_allowed:,.0f} allowed"
                    if steady > 0
                    else "n/a (window under 1 min)",
                    ">= 90%",
                    ("yes" if steady_calls >= 0.9 * steady_allowed else "NO") if steady > 0 else "",
                ],
                [
                    "  of which background (workers)",
                    f"{bg_calls:,} = {pct(bg_calls, BACKGROUND_MINUTE * busy / 60)} of "
                    f"the {BACKGROUND_MINUTE}/min background alone may fill",
                    "",
                    "",
                ],
                [
                    "  of which interactive (web)",
                    f"{web_busy_calls:,} = {web_busy_calls * 60 / busy:.1f}/min "
                    f"(reserve {RESERVE_MINUTE}/min)"
                    if busy > 0
                    else "n/a",
                    "",
                    "",
                ],
            ],
        )
    )

    print("\nPosts refreshed, by tier (posts.mirror.stats_tier at refresh time):\n")
    tier_rows = [
        [t, refreshed.get(t, 0), due_at_start.get(t, 0), due_at_end.get(t, 0)] for t in TIERS
    ]
    tier_rows.append(
        [
            "all",
            sum(refreshed.values()),
            sum(due_at_start.values()),
            sum(due_at_end.values()),
        ]
    )
    print(table(["tier", "refreshed", "due at start", "due at end"], tier_rows))

    print("\nOther observations:\n")
    print(
        table(
            ["measure", "value"],
            [
                [
                    "stats calls by the workers (200s)",
                    f"{len(fetched):,} for {distinct:,} distinct posts "
                    f"({len(fetched) - distinct:,} duplicate fetches)",
                ],
                ["worker batches cut short by a limiter wait > 30 s", stopped_by_budget],
                ["why they stopped", dict(stopped_why.most_common(3))],
                [
                    "web calls: ok / failed",
                    f"{len(web_calls) - sum(web_failed.values())} / "
                    f"{sum(web_failed.values())} {dict(web_failed) or ''}".strip(),
                ],
                [
                    "web call latency p50 / p95 / max",
                    _latencies(web_seconds),
                ],
                ["HTTP statuses seen by our processes", dict(sorted(statuses.items()))],
                ["sandbox calls by status", sandbox_calls["by_status"]],
            ],
        )
    )


def _latencies(values: list[float]) -> str:
    if not values:
        return "n/a"
    p95 = values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]
    return f"{statistics.median(values):.3f} / {p95:.3f} / {values[-1]:.3f} s"
