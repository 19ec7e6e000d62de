"""The queue's filters, sort and cursor: parsed from the URL, never trusted.

Every part of the query string is checked on its own; a bad part is dropped with a
note the page shows ("Ignored status 'foo'"), so a bookmarked or hand-edited URL always
opens a page, never an error. The canonical query string rebuilt from what was kept
is what links, the pager and saved views use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from urllib.parse import urlencode

from django.core import signing
from django.http import QueryDict

from core.query import query_date
from core.terms import COUNTER_LABELS
from posts.models import NETWORKS, SENT_STATUSES, Source, Status

STUCK = "stuck"
STATUS_LABELS = {**dict(Status.choices), STUCK: "Stuck"}

PRESETS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # name: (label, statuses, default sort)
    "upcoming": ("Upcoming", (Status.PENDING, Status.INQUEUE), "start_at"),
    # Everything whose time has come: sent, failed or stuck, the latest first.
    "past": ("Past", (*SENT_STATUSES, STUCK), "-start_at"),
    "attention": ("Needs attention", (Status.ERROR, Status.INCOMPLETE, STUCK), "-start_at"),
    "sent": ("Sent", SENT_STATUSES, "-start_at"),
    "drafts": ("Drafts", (Status.DRAFT, Status.INQUEUE_DRAFT), "-modified"),
}

# media=: what the post carries (Post.media_kind, copied from its message by the mirror).
MEDIA_FILTERS: dict[str, str] = {
    "image": "With image",
    "video": "With video",
    "pdf": "With PDF",
    "none": "Text only",
}

# approval=: where the post stands in an approval workflow (Post.approval).
APPROVAL_FILTERS: dict[str, str] = {
    "waiting": "Awaiting approval",
    "rejected": "Changes requested",
    "approved": "Approved",
}

SORTS: dict[str, str] = {
    "start_at": "Scheduled time",
    "created": "Created",
    "modified": "Modified",
    **COUNTER_LABELS,
}
DEFAULT_SORT = "-start_at"
# The queue opens at now: what goes out next, soonest first (posts.views.queue_view).
# Every post, with no view, is `preset=all` in the queue's own links, as a bare /posts/
# is the opening view.
OPENING_PRESET = "upcoming"
ALL = "all"
SIZES = (25, 50, 100)
DEFAULT_SIZE = 50
MAX_TEXT = 200
# A search matches posts whose message holds every one of these words.
MAX_WORDS = 10
# Runs of letters and digits: where both full-text indexes split a text into words
# (posts/migrations/0004_message_search.py). Everything else, quotes and the full-text
# query operators included, only separates words.
_WORD = re.compile(r"[^\W_]+")
_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_CURSOR_SALT = "posts.queue.cursor"


@dataclass(frozen=True)
class QueueFilters:
    statuses: tuple[str, ...] = ()
    preset: str = ""
    networks: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    created_by: tuple[str, ...] = ()
    # One message's posts (the stats page's per-message rollup links here).
    messages: tuple[str, ...] = ()
    # Posts whose message carries any of these tags (0AF…; a post's tags are its
    # message's).
    tags: tuple[str, ...] = ()
    media: str = ""  # a key of MEDIA_FILTERS
    approval: str = ""  # a key of APPROVAL_FILTERS
    start_from: date | None = None
    start_to: date | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    size: int = DEFAULT_SIZE
    deleted: bool = False

    @property
    def sort_field(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def items(self) -> list[tuple[str, str]]:
        """The canonical query string, in a stable order (no cursor)."""
        pairs: list[tuple[str, str]] = []
        if self.preset:
            pairs.append(("preset", self.preset))
        pairs += [("status", s) for s in self.statuses]
        pairs += [("network", n) for n in self.networks]
        pairs += [("profile", p) for p in self.profiles]
        pairs += [("campaign", c) for c in self.campaigns]
        pairs += [("source", s) for s in self.sources]
        pairs += [("created_by", u) for u in self.created_by]
        pairs += [("message", m) for m in self.messages]
        pairs += [("tag", t) for t in self.tags]
        if self.media:
            pairs.append(("media", self.media))
        if self.approval:
            pairs.append(("approval", self.approval))
        if self.start_from:
            pairs.append(("from", self.start_from.isoformat()))
        if self.start_to:
            pairs.append(("to", self.start_to.isoformat()))
        if self.q:
            pairs.append(("q", self.q))
        if self.sort != self.default_sort:
            pairs.append(("sort", self.sort))
        if self.size != DEFAULT_SIZE:
            pairs.append(("size", str(self.size)))
        if self.deleted:
            pairs.append(("deleted", "1"))
        return pairs

    @property
    def default_sort(self) -> str:
        return PRESETS[self.preset][2] if self.preset else DEFAULT_SORT

    def query(self, **changes: object) -> str:
        return urlencode((replace(self, **changes) if changes else self).items())

    @property
    def key(self) -> str:
        """Binds a cursor to the filter set it was made for."""
        return hashlib.sha256(self.query().encode()).hexdigest()[:16]

    def effective_statuses(self) -> tuple[str, ...]:
        """The preset's statuses narrowed by any statuses picked explicitly."""
        if not self.preset:
            return self.statuses
        preset = PRESETS[self.preset][1]
        if not self.statuses:
            return tuple(preset)
        return tuple(s for s in self.statuses if s in preset)

    def chips(self) -> list[tuple[str, str]]:
        """(label, URL query without that filter) for each active filter."""
        chips: list[tuple[str, str]] = []
        if self.preset:
            chips.append((PRESETS[self.preset][0], self.query(preset="", sort=DEFAULT_SORT)))
        for name, values, labels in (
            ("statuses", self.statuses, STATUS_LABELS),
            ("networks", self.networks, {}),
            ("profiles", self.profiles, {}),
            ("campaigns", self.campaigns, {}),
            ("sources", self.sources, {}),
            ("created_by", self.created_by, {}),
            ("messages", self.messages, {}),
            ("tags", self.tags, {}),
        ):
            for value in values:
                rest = tuple(v for v in values if v != value)
                chips.append((str(labels.get(value, value)), self.query(**{name: rest})))
        if self.media:
            chips.append((MEDIA_FILTERS[self.media], self.query(media="")))
        if self.approval:
            chips.append((APPROVAL_FILTERS[self.approval], self.query(approval="")))
        if self.start_from:
            chips.append((f"from {self.start_from:%d %b %Y}", self.query(start_from=None)))
        if self.start_to:
            chips.append((f"to {self.start_to:%d %b %Y}", self.query(start_to=None)))
        if self.q:
            chips.append((f"“{self.q}”", self.query(q="")))
        if self.deleted:
            chips.append(("including deleted", self.query(deleted=False)))
        return chips

    def start_range(self, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """The date range as instants: whole local days in the viewer's zone.

        Each bound is that day's local midnight, so a range across a DST change is
        still exactly the days asked for (23 or 25 hours long where the clocks move).
        """
        lo = datetime.combine(self.start_from, time.min, tzinfo=zone) if self.start_from else None
        hi = None
        if self.start_to:
            hi = datetime.combine(self.start_to + timedelta(days=1), time.min, tzinfo=zone)
        return lo, hi


def page_links(
    filters: QueueFilters, *, first: bool, next_cursor: Cursor | None, prev_cursor: Cursor | None
) -> dict[str, str]:
    """The queue's own links (query strings) for `filters`: itself, where no filters at all
    is every post (`preset=all`, as a bare /posts/ opens at now); the pages on either side;
    and, from the first page of the view the queue opens with, the past."""
    here = filters.query() or f"preset={ALL}"
    earlier = ""
    if filters.preset == OPENING_PRESET and first:
        earlier = filters.query(preset="past", statuses=(), sort=PRESETS["past"][2])
    return {
        "here": here,
        "next_query": f"{here}&cursor={next_cursor.sign(filters)}" if next_cursor else "",
        "prev_query": f"{here}&cursor={prev_cursor.sign(filters)}" if prev_cursor else "",
        "earlier_query": earlier,
    }


def back_to_queue(url: str | None, *, home: str) -> str:
    """`url` when it is a view of the queue at `home` (a path on this site), else the
    queue: where a change started from a row (Cancel…) returns to, with its filters."""
    if url and len(url) <= 2000 and (url == home or url.startswith(home + "?")):
        return url
    return home


def search_words(text: str) -> list[str]:
    """The words a search looks for, lower-cased, each once, at most MAX_WORDS.

    The matching rule (posts.selectors): a message matches when, for every word, one of
    its own words starts with it, ignoring case ("webin" finds "Webinar"); accents count
    ("cafe" does not find "café"); words are compared whole from their start, so "inar"
    does not find "webinar".
    """
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


@dataclass
class Parsed:
    filters: QueueFilters
    cursor: Cursor | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or before) the row with this sort value and id."""

    value: object
    id: int
    backwards: bool = False

    def sign(self, filters: QueueFilters) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        payload = {"v": value, "i": self.id, "b": int(self.backwards), "k": filters.key}
        return signing.dumps(payload, salt=_CURSOR_SALT, compress=True)


def _choices(
    query: QueryDict, name: str, allowed: set[str] | None, label: str, notes: list[str]
) -> tuple[str, ...]:
    kept: list[str] = []
    for raw in query.getlist(name):
        value = raw.strip()
        if not value:
            continue
        ok = value in allowed if allowed is not None else bool(_ID.match(value))
        if not ok:
            notes.append(f"Ignored {label} “{value[:60]}”: not a known {label}.")
        elif value not in kept:
            kept.append(value)
    return tuple(kept)


def parse(
    query: QueryDict,
    *,
    profiles: set[str],
    campaigns: set[str],
    tags: set[str],
) -> Parsed:
    """The queue `query` asks for. `profiles`, `campaigns` and `tags` are the ids the
    mirror knows: any other is dropped with a note (so a share link holding one refuses
    rather than widens, sharing.scope)."""
    notes: list[str] = []
    preset = query.get("preset", "").strip()
    if preset == ALL:
        preset = ""
    elif preset and preset not in PRESETS:
        notes.append(f"Ignored view “{preset[:40]}”: not a known view.")
        preset = ""
    statuses = _choices(query, "status", set(STATUS_LABELS), "status", notes)
    networks = _choices(query, "network", set(NETWORKS), "network", notes)
    profile_ids = _choices(query, "profile", profiles, "profile", notes)
    campaign_ids = _choices(query, "campaign", campaigns, "campaign", notes)
    sources = _choices(query, "source", set(Source.values), "source", notes)
    created_by = _choices(query, "created_by", None, "user", notes)
    message_ids = _choices(query, "message", None, "message", notes)
    tag_ids = _choices(query, "tag", tags, "tag", notes)
    media = query.get("media", "").strip()
    if media and media not in MEDIA_FILTERS:
        notes.append(f"Ignored media “{media[:40]}”: use image, video, pdf or none.")
        media = ""
    approval = query.get("approval", "").strip()
    if approval and approval not in APPROVAL_FILTERS:
        notes.append(f"Ignored approval “{approval[:40]}”: use waiting, rejected or approved.")
        approval = ""
    start_from = query_date(query.get("from", ""), "start", notes)
    start_to = query_date(query.get("to", ""), "end", notes)
    if start_from and start_to and start_from > start_to:
        notes.append("Ignored the date range: it ends before it starts.")
        start_from = start_to = None
    q = query.get("q", "").replace("\x00", "").strip()
    if len(q) > MAX_TEXT:
        notes.append(f"Search text was cut to {MAX_TEXT} characters.")
        q = q[:MAX_TEXT].strip()
    if q and not search_words(q):
        notes.append(f"Ignored search “{q[:60]}”: it has no letters or digits to look for.")
        q = ""
    elif len(set(_WORD.findall(q.lower()))) > MAX_WORDS:
        notes.append(f"Searched for the first {MAX_WORDS} words only.")
    default_sort = PRESETS[preset][2] if preset else DEFAULT_SORT
    sort = query.get("sort", "").strip() or default_sort
    if sort.lstrip("-") not in SORTS or sort.count("-") > 1:
        notes.append(f"Ignored sort “{sort[:40]}”: not a known sort.")
        sort = default_sort
    size = DEFAULT_SIZE
    if raw_size := query.get("size", "").strip():
        if raw_size in {str(n) for n in SIZES}:
            size = int(raw_size)
        else:
            notes.append(f"Ignored page size “{raw_size[:20]}”: use 25, 50 or 100.")
    deleted = query.get("deleted", "") in ("1", "true", "on")
    if query.get("page"):
        notes.append("Ignored page number: use the Newer/Older links to move between pages.")
    filters = QueueFilters(
        statuses=statuses,
        preset=preset,
        networks=networks,
        profiles=profile_ids,
        campaigns=campaign_ids,
        sources=sources,
        created_by=created_by,
        messages=message_ids,
        tags=tag_ids,
        media=media,
        approval=approval,
        start_from=start_from,
        start_to=start_to,
        q=q,
        sort=sort,
        size=size,
        deleted=deleted,
    )
    cursor = _cursor(query.get("cursor", ""), filters, notes)
    return Parsed(filters=filters, cursor=cursor, notes=notes)


def _cursor(raw: str, filters: QueueFilters, notes: list[str]) -> Cursor | None:
    if not raw:
        return None
    try:
        data = signing.loads(raw[:2000], salt=_CURSOR_SALT)
        if data["k"] != filters.key:
            notes.append("That page link was made for other filters; showing the first page.")
            return None
        value = data["v"]
        if filters.sort_field in ("start_at", "created", "modified"):
            value = datetime.fromisoformat(value)
        elif not isinstance(value, int):
            raise ValueError("counter cursor must be a number")
        return Cursor(value=value, id=int(data["i"]), backwards=bool(data["b"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        notes.append("Ignored a broken page link; showing the first page.")
        return None
