"""The window walker: reads a part of Oktopost's post list page by page, resumably.

It keys on the `_order` field (never `_page` offsets, which skip rows when posts move
while we page). Oktopost's list order direction is not documented (docs/oktopost.md),
so the walker detects it from each page and narrows the window from the side it read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from oktopost import types as ok
from oktopost.client import OktopostClient

PAGE = 100
ONE_SECOND = timedelta(seconds=1)

_ORDER_ATTR = {"created": "created", "modified": "modified", "startDateTime": "start_at"}


@dataclass
class Window:
    """The part of the list still to read: `lo` inclusive, `hi` exclusive (None = open)."""

    lo: datetime
    hi: datetime | None = None
    seen: list[str] = field(default_factory=list)  # ids already read at a bound's second
    top: datetime | None = None  # the newest order value read in this run
    direction: str = ""  # "asc" or "desc" once a page has shown it

    def dump(self) -> dict[str, object]:
        return {
            "lo": self.lo.isoformat(),
            "hi": self.hi.isoformat() if self.hi else None,
            "seen": self.seen,
            "top": self.top.isoformat() if self.top else None,
            "direction": self.direction,
        }

    @classmethod
    def load(cls, data: dict) -> Window:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            lo=when(data["lo"]),
            hi=when(data["hi"]),
            seen=list(data.get("seen", [])),
            top=when(data.get("top")),
            direction=data.get("direction", ""),
        )


def walk(client: OktopostClient, window: Window, *, order: str) -> Iterator[list[ok.Post]]:
    """Yield each page of not-yet-read posts in `window`, narrowing `window` as it goes.

    After each page is yielded (and committed by the caller), `window` holds exactly
    what remains, so saving it makes the walk resumable. Bounds move by whole seconds
    (Oktopost's resolution); ids read at a bound's second are remembered and skipped,
    since `after` is inclusive and several posts can share a second.
    """
    attr = _ORDER_ATTR[order]
    while True:
        page = client.post_list(order=order, count=PAGE, after=window.lo, before=window.hi)
        items = [p for p in page.items if getattr(p, attr) is not None]
        # Ids are skipped only at the bound's second they were read at: a post edited
        # again since has moved to another second and must be read again.
        bounds = {window.lo, window.hi - ONE_SECOND if window.hi else None}
        seen = set(window.seen)
        fresh = [p for p in items if p.id not in seen or getattr(p, attr) not in bounds]
        if not items:
            return
        keys = [getattr(p, attr) for p in items]
        newest = max(keys)
        window.top = max(window.top, newest) if window.top else newest
        if len(page.items) < PAGE:
            # Everything left in the window was on this page.
            window.lo, window.seen = window.hi or newest + ONE_SECOND, []
            yield fresh
            return
        if keys[0] != keys[-1]:
            window.direction = "asc" if keys[0] < keys[-1] else "desc"
            bound = keys[-1]
            at_bound = [p.id for p in items if getattr(p, attr) == bound]
            if window.direction == "asc":
                window.lo = bound
            else:
                window.hi = bound + ONE_SECOND
            window.seen = at_bound
            yield fresh
            continue
        # A whole page inside one second: read that second by page number (nothing
        # else can land inside it), then move the bound past it.
        second = keys[0]
        yield fresh
        read = (seen if second in bounds else set()) | {p.id for p in items}
        yield from _drain_second(client, second, read, order=order)
        if not window.direction:
            window.direction = _direction_probe(client, window, second, order=order)
        if window.direction == "asc":
            window.lo = second + ONE_SECOND
        else:
            window.hi = second
        window.seen = []


def _drain_second(
    client: OktopostClient, second: datetime, seen: set[str], *, order: str
) -> Iterator[list[ok.Post]]:
    """Every post of one second not in `seen`, by page number (the keyset cannot split a
    second); adds what it reads to `seen`."""
    number = 0
    while True:
        page = client.post_list(
            order=order, count=PAGE, page=number, after=second, before=second + ONE_SECOND
        )
        fresh = [p for p in page.items if p.id not in seen]
        seen.update(p.id for p in page.items)
        if fresh:
            yield fresh
        if len(page.items) < PAGE:
            return
        number += 1


def _direction_probe(
    client: OktopostClient, window: Window, second: datetime, *, order: str
) -> str:
    """The first page was one crowded second: it is the window's lowest second if
    anything lies above it (ascending order), else its highest (descending)."""
    above = client.post_list(order=order, count=25, after=second + ONE_SECOND, before=window.hi)
    return "asc" if above.items else "desc"
