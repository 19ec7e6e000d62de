"""Injected failures for /v2 requests: the ways a remote API breaks in production."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

# Faults that stop a request before it reaches the API: nothing is counted or written.
BEFORE = frozenset({"500", "html", "drop"})
# Faults that mangle the answer of a request that was fully processed.
AFTER = frozenset({"truncate", "garbage"})
KINDS = BEFORE | AFTER

HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
GARBAGE = b"\x1f\x8b\x08\x00\xde\xad\xbe\xef<!-- upstream sent an invalid response -->"


@dataclass
class Faults:
    error_rate: float = 0.0
    html_error_rate: float = 0.0
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    latency_ms: int = 0
    after_write_delay_ms: int = 0
    next: deque[str] = field(default_factory=deque)
    seed: int = 0
    # Reproducible fault sequences, not security: a seeded PRNG is the point.
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Faults:
        """Build a complete fault configuration; ValueError names the bad key."""
        rates = ("error_rate", "html_error_rate", "drop_rate", "truncate_rate")
        known = {*rates, "latency_ms", "after_write_delay_ms", "next", "seed"}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        faults = cls(seed=int(body.get("seed", 0)))
        faults.rng = random.Random(faults.seed)  # noqa: S311
        for name in rates:
            value = float(body.get(name, 0.0))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            setattr(faults, name, value)
        for name in ("latency_ms", "after_write_delay_ms"):
            value = int(body.get(name, 0))
            if value < 0:
                raise ValueError(f"{name} must be >= 0")
            setattr(faults, name, value)
        for item in body.get("next", []):
            kind = str(item)
            if kind not in KINDS and not (kind.startswith("slow:") and kind[5:].isdigit()):
                raise ValueError(f"unknown fault {kind!r} in next")
            faults.next.append(kind)
        return faults

    def take(self) -> str | None:
        """The fault for this request: the queued ones first, then the random rates."""
        if self.next:
            return self.next.popleft()
        for kind, rate in (
            ("drop", self.drop_rate),
            ("html", self.html_error_rate),
            ("500", self.error_rate),
            ("truncate", self.truncate_rate),
        ):
            if rate and self.rng.random() < rate:
                return kind
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rate,
            "html_error_rate": self.html_error_rate,
            "drop_rate": self.drop_rate,
            "truncate_rate": self.truncate_rate,
            "latency_ms": self.latency_ms,
            "after_write_delay_ms": self.after_write_delay_ms,
            "next": list(self.next),
            "seed": self.seed,
        }
