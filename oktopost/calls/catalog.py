"""The client's catalog calls: the account (`/me`), campaigns, tags, social profiles
(`/credential`), users and teams."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from oktopost.calls.params import (
    Direction,
    drop_none,
    iterate,
    join_ids,
    order_param,
    paging,
    required,
    segment,
)
from oktopost.transport import Transport, list_member, member
from oktopost.types import Campaign, Credential, Me, Page, Tag, Team, User

# `_order` values of these lists (SDK/MCPREF/DOC-tags; docs/oktopost.md).
CampaignOrder = Literal["created", "name"]
UserOrder = Literal["name", "email", "created"]
TagOrder = Literal["tag", "created", "lastUsed"]
# Campaign statuses to filter on (SDK CampaignStatus) and to set (UpdateCampaignParams).
CAMPAIGN_STATUSES = ("active", "paused", "archived", "complete")
CAMPAIGN_WRITABLE_STATUSES = ("active", "paused", "archived")


class CatalogCalls(Transport):
    """The account's catalog (mixed into `OktopostClient`)."""

    # -- account -------------------------------------------------------------------------

    def me(self) -> Me:
        call = "GET /me"
        return Me.from_api(self._request("GET", "/me", call=call), call=call)

    # -- campaigns -----------------------------------------------------------------------

    def campaign_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        q: str | None = None,
        status: str | None = None,
        order: CampaignOrder | None = None,
        direction: Direction | None = None,
        with_tags: bool = False,
    ) -> Page[Campaign]:
        """One page of campaigns: ``q`` matches names, ``status`` is one of
        CAMPAIGN_STATUSES, ``order`` sorts (Oktopost's default: created)."""
        if status is not None and status not in CAMPAIGN_STATUSES:
            raise ValueError(f"status must be one of {CAMPAIGN_STATUSES}, got {status!r}")
        params = paging(page, count) | drop_none(
            q=q or None,
            status=status,
            _order=order_param(order, direction, ("created", "name")),
            withTags=1 if with_tags else None,
        )
        return self._page(
            "GET /campaign", "/campaign", params, Campaign.from_api, page=page, count=count
        )

    def campaigns_iter(
        self,
        *,
        q: str | None = None,
        status: str | None = None,
        order: CampaignOrder | None = None,
        direction: Direction | None = None,
        with_tags: bool = False,
    ) -> Iterator[Campaign]:
        """Every campaign matching the filters, 100 per call."""
        return iterate(
            lambda page: self.campaign_list(
                page=page,
                count=100,
                q=q,
                status=status,
                order=order,
                direction=direction,
                with_tags=with_tags,
            )
        )

    def campaign_get(self, campaign_id: str, *, with_tags: bool = False) -> Campaign:
        call = "GET /campaign/{id}"
        body = self._request(
            "GET",
            f"/campaign/{segment(campaign_id)}",
            call=call,
            params={"withTags": 1} if with_tags else None,
        )
        return Campaign.from_api(member(body, "Campaign", call), call=call)

    def campaign_create(
        self, *, name: str, url: str | None = None, tag_ids: Sequence[str] | None = None
    ) -> Campaign:
        """Create a campaign (``POST /campaign``). Raises AmbiguousWriteError if the answer
        was lost: look for it by name before creating again."""
        data = drop_none(
            name=required(name, "name"),
            url=url,
            tagIds=None if tag_ids is None else join_ids(tag_ids, "tag_ids"),
        )
        call = "POST /campaign"
        body = self._request("POST", "/campaign", call=call, data=data)
        return Campaign.from_api(member(body, "Campaign", call), call=call)

    def campaign_update(
        self,
        campaign_id: str,
        *,
        name: str | None = None,
        url: str | None = None,
        status: str | None = None,
        tag_ids: Sequence[str] | None = None,
    ) -> Campaign:
        """Change a campaign; only the arguments given are sent. ``status`` is one of
        CAMPAIGN_WRITABLE_STATUSES; ``tag_ids=[]`` removes every tag."""
        if status is not None and status not in CAMPAIGN_WRITABLE_STATUSES:
            raise ValueError(f"status must be one of {CAMPAIGN_WRITABLE_STATUSES}, got {status!r}")
        data = drop_none(
            name=None if name is None else required(name, "name"),
            url=url,
            status=status,
            tagIds=None if tag_ids is None else join_ids(tag_ids, "tag_ids"),
        )
        if not data:
            raise ValueError("campaign_update needs at least one field to change")
        call = "POST /campaign/{id}"
        body = self._request("POST", f"/campaign/{segment(campaign_id)}", call=call, data=data)
        return Campaign.from_api(member(body, "Campaign", call), call=call)

    # -- tags ----------------------------------------------------------------------------

    def tag_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        order: TagOrder | None = None,
        direction: Direction | None = None,
    ) -> Page[Tag]:
        """One page of the account's tags (``GET /tag``)."""
        params = paging(page, count) | drop_none(
            _order=order_param(order, direction, ("tag", "created", "lastUsed"))
        )
        return self._page("GET /tag", "/tag", params, Tag.from_api, page=page, count=count)

    def tags_iter(
        self, *, order: TagOrder | None = None, direction: Direction | None = None
    ) -> Iterator[Tag]:
        """Every tag, 100 per call."""
        return iterate(
            lambda page: self.tag_list(page=page, count=100, order=order, direction=direction)
        )

    def tag_get(self, tag_id: str) -> Tag:
        call = "GET /tag/{id}"
        body = self._request("GET", f"/tag/{segment(tag_id)}", call=call)
        return Tag.from_api(member(body, "Tag", call), call=call)

    def tag_create(self, *, name: str) -> Tag:
        """Create a tag (``POST /tag`` with ``tag``). Oktopost refuses a name in use."""
        call = "POST /tag"
        body = self._request("POST", "/tag", call=call, data={"tag": required(name, "name")})
        return Tag.from_api(member(body, "Tag", call), call=call)

    def tag_update(self, tag_id: str, *, name: str) -> Tag:
        call = "POST /tag/{id}"
        body = self._request(
            "POST", f"/tag/{segment(tag_id)}", call=call, data={"tag": required(name, "name")}
        )
        return Tag.from_api(member(body, "Tag", call), call=call)

    def tag_delete(self, tag_id: str) -> None:
        self._request("DELETE", f"/tag/{segment(tag_id)}", call="DELETE /tag/{id}")

    # -- social profiles -----------------------------------------------------------------

    def credential_list(
        self, *, network: str | None = None, include_invalid: bool = False
    ) -> list[Credential]:
        """All social profiles; Oktopost documents no paging for this list (§7)."""
        call = "GET /credential"
        params = drop_none(network=network) | {"includeInvalid": int(include_invalid)}
        body = self._request("GET", "/credential", call=call, params=params)
        return [
            Credential.from_api(item, call=call, where=f"Items[{i}]")
            for i, item in enumerate(list_member(body, "Items", call))
        ]

    # -- users ---------------------------------------------------------------------------

    def user_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        q: str | None = None,
        order: UserOrder | None = None,
        direction: Direction | None = None,
    ) -> Page[User]:
        """The account's users (``GET /user``; SDK UserListItem, with ``role`` and
        ``timezone``); ``q`` matches names and e-mail addresses."""
        params = paging(page, count) | drop_none(
            q=q or None, _order=order_param(order, direction, ("name", "email", "created"))
        )
        return self._page("GET /user", "/user", params, User.from_api, page=page, count=count)

    def users_iter(self, *, q: str | None = None) -> Iterator[User]:
        """Every user of the account, 100 per call."""
        return iterate(lambda page: self.user_list(page=page, count=100, q=q))

    def user_get(self, user_id: str) -> User:
        """One user in full (SDK User: names, status, dates, time zone; no role)."""
        call = "GET /user/{id}"
        body = self._request("GET", f"/user/{segment(user_id)}", call=call)
        return User.from_api(member(body, "User", call), call=call)

    def team_list(self, *, page: int = 0, count: int = 100) -> Page[Team]:
        """The account's teams (``GET /team``)."""
        return self._page(
            "GET /team", "/team", paging(page, count), Team.from_api, page=page, count=count
        )

    def teams_iter(self) -> Iterator[Team]:
        return iterate(lambda page: self.team_list(page=page, count=100))

    def team_get(self, team_id: str) -> Team:
        call = "GET /team/{id}"
        body = self._request("GET", f"/team/{segment(team_id)}", call=call)
        return Team.from_api(member(body, "Team", call), call=call)
