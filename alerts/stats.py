"""What a mailed report shows, read through reports' named interface (`reports.review`,
the module share links use too), so a report holds the stats page's own figures for
its scope: the same parser, totals, trend and top posts.

A report's scope is the stats page's filters without a range; each send adds the
period just ended. Stored in canonical form, it is parsed again before every send, and
a filter that no longer parses (a campaign gone) stops the report instead of widening
it, as share links do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict

from core.terms import COUNTER_LABELS
from posts.selectors import chips_named, filter_ids, queue_choices
from reports.review import DISPLAY_KEYS, FILTER_KEYS, StatsQuery, section, stats_parse, stats_review

# What the stats page's address may carry that a report ignores: its range (each send
# has its own) and the display choices.
IGNORED_KEYS = frozenset({"range", "from", "to", *DISPLAY_KEYS})
TOP_ROWS = 5
CHART_COUNTER = "clicks"


@dataclass(frozen=True)
class Canonical:
    query: str  # the filters, canonical
    problems: tuple[str, ...]  # why it cannot be a report's scope, in words


def _parse(query: str, zone: tzinfo, choices: dict, *, first: date, last: date) -> StatsQuery:
    data = QueryDict(query, mutable=True)
    for key in IGNORED_KEYS:
        data.pop(key, None)
    data["from"], data["to"] = f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"
    return stats_parse(data, **filter_ids(choices), today=last, zone=zone)


def scope_canonical(query: str, zone: tzinfo, *, today: date) -> Canonical:
    """The filters of a stats page's query (or a saved view's), and every part of it a
    report could not keep: an unknown parameter or a value that no longer parses would
    make the report wider than the view its subscriber saw."""
    query = query.strip().lstrip("?")
    data = QueryDict(query)
    problems = [
        f"“{key[:40]}” is not something the stats page can filter by."
        for key in dict.fromkeys(data.keys())
        if key not in FILTER_KEYS and key not in IGNORED_KEYS and key not in SAVED_VIEW_KEYS
    ]
    sq = _parse(query, zone, queue_choices(), first=today, last=today)
    problems += [n for n in sq.notes if not n.startswith("The clocks")]
    return Canonical(urlencode(sq.filters.items()), tuple(problems))


# A saved view is a queue view: its sort, page size and approval filter mean nothing to
# the stats page, which reads the rest the same way.
SAVED_VIEW_KEYS = frozenset({"sort", "size", "approval", "cursor", "page"})


def scope_words(query: str, zone: tzinfo, *, today: date) -> list[str]:
    """The scope's filters, named as the stats page names them ("All posts" when none)."""
    choices = queue_choices()
    sq = _parse(query, zone, choices, first=today, last=today)
    return [label for label, _ in chips_named(sq.chips(), choices)] or ["All posts"]


@dataclass(frozen=True)
class FigureRow:
    name: str
    value: int
    before: int
    known: bool = True

    @property
    def change(self) -> str:
        if not self.before:
            return "new" if self.value else "±0"
        return f"{round(100 * (self.value - self.before) / self.before):+d}%"


@dataclass(frozen=True)
class TopRow:
    network: str
    when: datetime  # local
    text: str
    clicks: int
    engagement: int
    url: str


@dataclass(frozen=True)
class ReportFigures:
    first: date
    last: date
    zone_name: str
    scope: list[str]
    rows: list[FigureRow]
    chart_label: str
    chart_days: list[date]
    chart_values: list[int]
    chart_before: list[int]
    top: list[TopRow]
    stats_url: str  # the stats page for this scope and period (needs an account)
    scope_query: str  # the filters and the period, for a share link

    @property
    def span(self) -> str:
        if self.first.year == self.last.year:
            return f"{self.first:%-d %b} to {self.last:%-d %b %Y}"
        return f"{self.first:%-d %b %Y} to {self.last:%-d %b %Y}"


class ScopeGone(ValueError):
    """The stored scope no longer parses to itself: sending would widen the report."""


def report_figures(
    query: str, *, first: date, last: date, zone: tzinfo, now: datetime
) -> ReportFigures:
    """The stats page's figures for the filters `query` over local days first..last."""
    choices = queue_choices()
    sq = _parse(query, zone, choices, first=first, last=last)
    if sq.dropped or urlencode(sq.filters.items()) != query:
        raise ScopeGone(
            "a filter of this report no longer matches anything in oktodash (a campaign, "
            "profile or tag that is gone), so it was not sent rather than sent wider"
        )
    page = stats_review(sq, now=now, choices=choices)
    found = page["totals"]
    deltas = {d.key: d for d in found.deltas}
    # Sent in any way (fully, partly, or failed on every profile): what the trend counts.
    rows = [FigureRow("Posts sent", found.current.outcomes, found.previous.outcomes)]
    rows += [
        FigureRow(label, deltas[key].now, deltas[key].before, deltas[key].known)
        for key, label in COUNTER_LABELS.items()
    ]
    rows.append(FigureRow("Engagement", deltas["engagement"].now, deltas["engagement"].before))
    failed = deltas["failed"].now + deltas["partly"].now
    rows.append(
        FigureRow(
            "Failed or partly failed", failed, deltas["failed"].before + deltas["partly"].before
        )
    )
    days = page["days"]
    tops = section(sq, "top", now=now, choices=choices)["top_lists"]
    by_clicks = next((found for key, _, found in tops if key == "clicks"), [])
    top = [
        TopRow(
            network=post.network,
            when=post.start_at.astimezone(zone),
            text=" ".join((post.message.text if post.message else "").split())[:90],
            clicks=post.clicks,
            engagement=post.engagement,
            url=f"{settings.SITE_URL}/posts/{post.oktopost_id}/",
        )
        for post, _ in by_clicks[:TOP_ROWS]
    ]
    return ReportFigures(
        first=first,
        last=last,
        zone_name=str(zone),
        scope=[label for label, _ in page["chips"]] or ["All posts"],
        rows=rows,
        chart_label=COUNTER_LABELS[CHART_COUNTER],
        chart_days=[d.day for d in days],
        chart_values=[d.value for d in days],
        chart_before=[d.before_value for d in days],
        top=top,
        stats_url=f"{settings.SITE_URL}/stats/?{sq.query()}",
        scope_query=sq.scope_query(),
    )


def report_pdf(
    query: str, *, first: date, last: date, zone: tzinfo, now: datetime, title: str
) -> tuple[str, bytes]:
    """The same report as the PDF a person downloads from the stats page (reports.pdf),
    on the paper the zone's country uses; (file name, bytes)."""
    from reports.pdf import paper_for_zone, pdf_filename, render_stats_pdf

    sq = _parse(query, zone, queue_choices(), first=first, last=last)
    data = render_stats_pdf(sq, paper=paper_for_zone(zone), title=title, now=now)
    return pdf_filename("oktodash-report", sq), data
