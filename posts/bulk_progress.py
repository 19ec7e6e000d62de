"""A bulk change's page, post by post: each post as planned (waiting) until the worker
has done it, then its result. The page lists every post from the start, never an empty
table."""

from dataclasses import dataclass
from datetime import datetime, tzinfo

from core.localtime import as_local
from posts.models import BulkAction


@dataclass(frozen=True)
class ProgressRow:
    post: str  # the post's Oktopost id
    state: str  # "waiting", "ok" or "failed"
    words: str  # the result in words, or what is planned for the post


def _when(iso: str, zone: tzinfo) -> str:
    return f"{as_local(datetime.fromisoformat(iso), zone):%a %d %b %Y, %H:%M}"


def _planned(bulk: BulkAction, plan: dict | None, zone: tzinfo) -> str:
    if bulk.kind == BulkAction.Kind.CANCEL:
        return "To be cancelled"
    if not plan:
        return "To be checked"
    if "error" in plan:
        return f"Will be left as it is: {plan['error']}"
    return f"To move from {_when(plan['from'], zone)} to {_when(plan['to'], zone)}"


def progress_rows(bulk: BulkAction, zone: tzinfo) -> list[ProgressRow]:
    """Every post of `bulk` in its order, done or not."""
    results = {r["post"]: r for r in bulk.results}
    targets = (bulk.params or {}).get("targets") or {}
    rows: list[ProgressRow] = []
    for post_id in bulk.post_ids:
        result = results.pop(post_id, None)
        if result is None:
            rows.append(ProgressRow(post_id, "waiting", _planned(bulk, targets.get(post_id), zone)))
        else:
            state = "ok" if result["ok"] else "failed"
            rows.append(ProgressRow(post_id, state, result["message"]))
    for post_id, result in results.items():  # a result for a post no longer listed
        rows.append(ProgressRow(post_id, "ok" if result["ok"] else "failed", result["message"]))
    return rows
