"""`python -m bench.machine`: how fast one core of this machine runs Python, so that figures
taken on different machines can be compared.

Sessions run on machines whose cores differ by two to three times (the same `make test`
took 300 s on one and 716 s on another; docs/benchmarks.md). A benchmark's table is only
comparable with another taken at a similar reference figure: `bench.load` prints it in
its header, and `make test` in its own (tests/conftest.py).

The reference work is the kind of work a request does: build rows as dicts, sort them,
format them into HTML and JSON. It runs seven times; the figure is the fastest run's CPU
time (`time.process_time`), which another process on the machine slows the least.
"""

from __future__ import annotations

import json
import time


def _reference_work() -> int:
    rows = [{"id": i, "name": f"post {i}", "clicks": i % 97} for i in range(20_000)]
    rows.sort(key=lambda r: (-r["clicks"], r["id"]))
    html = "".join(f"<tr><td>{r['name']}</td><td>{r['clicks']}</td></tr>" for r in rows)
    return len(html) + sum(len(json.dumps(r)) for r in rows[:5_000])


def core_ms(runs: int = 7) -> float:
    """CPU milliseconds of the reference work on one core: the fastest of `runs`."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        _reference_work()
        best = min(best, time.process_time() - began)
    return best * 1000


def describe() -> str:
    return f"one core does the reference work (bench.machine) in {core_ms():.0f} ms"


if __name__ == "__main__":
    print(describe())
