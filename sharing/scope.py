"""What a share link shows, parsed from its stored query by the pages' own parsers.

A link's query is stored in canonical form at creation. When it is opened, it is parsed
again; if a filter of it no longer parses (a campaign or profile that left the mirror),
the page would be wider than what was shared, so the link refuses instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from django.http import QueryDict
from django.utils import timezone

from posts import queue
from posts.localtime import as_local
from reports.query import StatsQuery, stats_parse


@dataclass(frozen=True)
class Canonical:
    query: str
    problems: tuple[str, ...]


def _ids(choices: dict) -> dict[str, set[str]]:
    return {
        "profiles": set(choices["profiles"]),
        "campaigns": {cid for cid, _ in choices["campaigns"]},
    }


def stats_scope(
    query: str, zone: tzinfo, choices: dict, *, display_from: QueryDict | None = None
) -> StatsQuery:
    return stats_parse(
        QueryDict(query),
        **_ids(choices),
        today=as_local(timezone.now(), zone).date(),
        zone=zone,
        display_from=display_from if display_from is not None else QueryDict(),
    )


def queue_scope(query: str, choices: dict, *, cursor: str = "") -> queue.Parsed:
    data = QueryDict(query, mutable=True)
    data.pop("cursor", None)
    if cursor:
        data["cursor"] = cursor[:2000]
    return queue.parse(data, **_ids(choices))


def canonical(page: str, query: str, zone: tzinfo, choices: dict) -> Canonical:
    """The query to store for a new link, and what in it could not be read."""
    if page == "stats":
        sq = stats_scope(query, zone, choices)
        return Canonical(sq.scope_query(), sq.notes if sq.dropped else ())
    parsed = queue_scope(query, choices)
    return Canonical(parsed.filters.query(), tuple(parsed.notes))


def still_valid(page: str, query: str, zone: tzinfo, choices: dict) -> bool:
    """True when the stored query still parses to exactly itself."""
    again = canonical(page, query, zone, choices)
    return not again.problems and again.query == query
