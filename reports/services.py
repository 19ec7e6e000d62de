"""The stats review's orchestration: a stats view's or a queue view's CSV, put together
from the selectors' rows and the export's formatting (reports.export). The views (and
share links) only wrap the lines in a streamed response."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo

from django.utils import timezone

from posts.queue import QueueFilters
from posts.selectors import user_names
from reports import export, selectors
from reports.query import StatsQuery


def names_for_page(choices: dict) -> dict[str, dict[str, str]]:
    return {
        "profile": {
            pid: selectors.profile_label(p.label, p.network)
            for pid, p in choices["profiles"].items()
        },
        "campaign": dict(choices["campaigns"]),
        "creator": user_names(),
    }


@dataclass(frozen=True)
class CsvFile:
    lines: Iterator[bytes]
    name: str  # without ".csv"


def stats_csv(sq: StatsQuery, *, breakdown: str, choices: dict, name: str) -> CsvFile:
    """The posts of a stats view (or, with `breakdown`, that breakdown's rows), times in
    the view's zone; the file is named after the view's period."""
    zone = sq.scope.zone
    now = timezone.now()
    if breakdown in selectors.DIMENSIONS:
        found = selectors.breakdown(
            sq.scope,
            breakdown,
            now=now,
            order=sq.display.order,
            names=names_for_page(choices),
            limit=None,
        )
        lines = export.lines(
            export.breakdown_header(found, zone), export.breakdown_lines(found, zone=zone)
        )
        name = f"{name}-by-{breakdown}"
    else:
        rows = selectors.export_rows(sq.scope, now=now)
        lines = export.post_csv(rows, zone=zone, names=user_names())
    period = sq.period
    return CsvFile(lines, f"{name}-{period.first:%Y%m%d}-{period.last:%Y%m%d}")


def queue_csv(filters: QueueFilters, *, zone: tzinfo, name: str) -> CsvFile:
    """Every post of a queue view (all pages), in the queue's order."""
    rows = selectors.queue_export_rows(filters, zone=zone, now=timezone.now())
    return CsvFile(export.post_csv(rows, zone=zone, names=user_names()), name)
