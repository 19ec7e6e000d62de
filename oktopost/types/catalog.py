"""What an account holds besides posts: campaigns, social profiles, users, teams, tags,
and /me."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oktopost.types.base import Reader


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign; list items carry only part of the fields, the rest stay empty/0."""

    id: str
    name: str
    status: str
    created: datetime | None
    modified: datetime | None
    url: str
    color: str
    short_url: str
    start_date: datetime | None
    end_date: datetime | None
    clicks: int
    converts: int
    comments: int
    new_comments: int
    likes: int
    total_messages: int
    total_posts: int
    total_pending_posts: int
    total_draft_posts: int
    posts_sent: int
    # Tag ids (0AF…) with ``withTags=1``: the SDK sends ``tagIds`` and its campaign test
    # reads ``Tags: ['tag1']`` back; () when the answer has none.
    tags: tuple[str, ...]
    # A string in the SDK's Campaign (src/types/publishing.ts); older answers sent a
    # number, taken as its digits. Its meaning is undocumented.
    send_summary: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def tag_ids(self) -> tuple[str, ...]:
        return self.tags

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Campaign") -> Campaign:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            name=r.text("Name", required=True),
            status=r.text("Status"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            url=r.text("Url"),
            color=r.text("Color"),
            short_url=r.text("ShortUrl"),
            start_date=r.when("StartDate"),
            end_date=r.when("EndDate"),
            clicks=r.integer("Clicks"),
            converts=r.integer("Converts"),
            comments=r.integer("Comments"),
            new_comments=r.integer("NewComments"),
            likes=r.integer("Likes"),
            total_messages=r.integer("TotalMessages"),
            total_posts=r.integer("TotalPosts"),
            total_pending_posts=r.integer("TotalPendingPosts"),
            total_draft_posts=r.integer("TotalDraftPosts"),
            posts_sent=r.integer("PostsSent"),
            tags=r.ids("Tags"),
            send_summary=r.text("SendSummary"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Credential:
    """A connected social profile (API reference §7)."""

    id: str
    name: str
    display_name: str
    network: str
    status: str
    created: datetime | None
    image_link: str
    network_username: str
    native_posts_enabled: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Credential") -> Credential:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            name=r.text("Name"),
            display_name=r.text("DisplayName"),
            network=r.text("Network", required=True),
            status=r.text("Status"),
            created=r.when("Created"),
            image_link=r.text("ImageLink"),
            network_username=r.text("NetworkUsername"),
            native_posts_enabled=r.flag("NativePostsEnabled"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Me:
    """The API user and account behind the credentials (``GET /me``)."""

    user_id: str
    user_name: str
    user_email: str
    last_login: datetime | None
    account_id: str
    account_name: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str) -> Me:
        r = Reader(raw, call=call, where="response")
        user = r.child("User")
        account = r.child("Account")
        return cls(
            user_id=user.text("Id", required=True),
            user_name=user.text("Name"),
            user_email=user.text("Email"),
            last_login=user.when("LastLogin"),
            account_id=account.text("Id", required=True),
            account_name=account.text("Name"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class User:
    """A user of the Oktopost account (``00A…``): who created or changed a post.

    ``GET /user`` items are the SDK's ``UserListItem`` (``Id, Name, Email, LastLogin,
    Role, Timezone``); ``GET /user/{id}`` is its ``User`` (adds ``Created, Modified,
    Status, FirstName, LastName`` and social logins, but no ``Role``), src/types/
    account.ts. Fields an answer lacks stay empty. A name split into ``FirstName``/
    ``LastName`` only is joined."""

    id: str
    name: str
    email: str
    last_login: datetime | None
    # admin, publisher, contributor or read (SDK UserRole); "" from GET /user/{id}.
    role: str = ""
    # An IANA time zone name, e.g. "Europe/Madrid"; "" when not given.
    timezone: str = ""
    first_name: str = ""
    last_name: str = ""
    status: str = ""
    created: datetime | None = None
    modified: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return self.name or self.email or self.id

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "User") -> User:
        r = Reader(raw, call=call, where=where)
        first, last = r.text("FirstName"), r.text("LastName")
        name = r.text("Name") or " ".join(part for part in (first, last) if part)
        return cls(
            id=r.text("Id", required=True),
            name=name.strip(),
            email=r.text("Email"),
            last_login=r.when("LastLogin"),
            role=r.text("Role"),
            timezone=r.text("Timezone"),
            first_name=first,
            last_name=last,
            status=r.text("Status"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Team:
    """A team of users (SDK ``Team {Id, Created, Modified, Name}``)."""

    id: str
    name: str
    created: datetime | None
    modified: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Team") -> Team:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            name=r.text("Name"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag (``0AF…``; SDK ``Tag {Id, Created, Tag, LastUsedDate}``, DOC-tags).
    Campaigns and messages carry tags by id; ``name`` is the API's ``Tag``."""

    id: str
    name: str
    created: datetime | None
    last_used: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Tag") -> Tag:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            name=r.text("Tag"),
            created=r.when("Created"),
            last_used=r.when("LastUsedDate"),
            raw=r.raw,
        )
