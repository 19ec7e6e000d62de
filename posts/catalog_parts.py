"""The catalog's parts, how one can fail, and what a person is told then.

Pure: the sync (`posts.sync.catalog`) records each part's outcome under `state_name`,
and the status bar (`posts.status`) turns a part that could not be read into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PARTS = ("campaigns", "profiles", "users", "tags", "notes")
# What a page of posts can reference that the mirror may lack.
REFERENCED = ("campaigns", "profiles")

# How a part failed (`SyncState.last_result["refused"]`).
FORBIDDEN = "forbidden"  # 403: the key's user may not read it
MISSING = "missing"  # 404: not there for this key (no such endpoint on its plan)
FAILED = "failed"  # anything else: Oktopost down, a broken answer
REFUSED = (FORBIDDEN, MISSING)

# part: (what Oktopost holds, what pages show without it, what they show from an
# earlier read, "{when}" filled in).
_WORDS: dict[str, tuple[str, str, str]] = {
    "campaigns": (
        "its campaigns",
        "campaigns show as ids",
        "campaigns show by the names read on {when}",
    ),
    "profiles": (
        "its social profiles",
        "profiles show as ids",
        "profiles show by the names read on {when}",
    ),
    "users": (
        "its users",
        "creators show as ids",
        "creators show by the names read on {when}",
    ),
    "tags": (
        "its tags",
        "tags show as ids",
        "tags show by the names read on {when}",
    ),
    "notes": (
        "its calendar notes",
        "the calendar shows no notes",
        "the calendar shows its notes as read on {when}",
    ),
}


def state_name(part: str) -> str:
    return f"catalog:{part}"


@dataclass(frozen=True)
class CatalogGap:
    """A part of the catalog whose last read failed: what pages cannot name, and why.
    Times are local (the viewer's zone)."""

    part: str
    refused: str  # FORBIDDEN, MISSING or FAILED
    failed_at: datetime
    error: str
    read_at: datetime | None  # the last successful read, if any

    @property
    def words(self) -> str:
        what, none, earlier = _WORDS[self.part]
        effect = earlier.format(when=f"{self.read_at:%-d %b, %H:%M}") if self.read_at else none
        if self.refused == FORBIDDEN:
            return f"Oktopost does not let our API key read {what}, so {effect}."
        if self.refused == MISSING:
            return (
                f"Oktopost does not offer {what} to our API key (its plan may not include "
                f"them), so {effect}."
            )
        error = self.error if len(self.error) <= 120 else self.error[:119] + "…"
        return (
            f"Oktopost did not give {what} at {self.failed_at:%H:%M} ({error}), so {effect}. "
            "The next try is automatic."
        )
