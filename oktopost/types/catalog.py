"""What an account holds besides posts: campaigns, social profiles, users, and /me."""

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
    tags: tuple[str, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

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

    ``GET /user`` and ``GET /user/{id}`` (API notes §"Other endpoints", SDK users
    resource): ``Id``, ``Name``, ``Email``, ``LastLogin``; newer answers split the name
    into ``FirstName``/``LastName``, so either is accepted."""

    id: str
    name: str
    email: str
    last_login: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return self.name or self.email or self.id

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "User") -> User:
        r = Reader(raw, call=call, where=where)
        name = r.text("Name") or " ".join(
            part for part in (r.text("FirstName"), r.text("LastName")) if part
        )
        return cls(
            id=r.text("Id", required=True),
            name=name.strip(),
            email=r.text("Email"),
            last_login=r.when("LastLogin"),
            raw=r.raw,
        )
