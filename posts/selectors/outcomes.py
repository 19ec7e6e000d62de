"""A post's outcome per profile, as every page that shows a post words it: "2 of 3 sent
· LinkedIn (Acme) failed: the text is too long for LinkedIn (3,214 of 3,000
characters)", each failure explained by `posts.failures` with what to do."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from posts.failures import Explained, explain
from posts.models import Activity, Post, PostLink, Status, web_url
from posts.networks import characters_used


@dataclass(frozen=True)
class Target:
    """One profile a post goes to, and what happened there."""

    profile_id: str
    label: str
    network: str
    status: str
    error: str
    remote_url: str
    connected: bool = True  # the profile's Oktopost status, as the catalog sync saw it
    # The error in words with what to do (posts.failures), for a failed delivery.
    explained: Explained | None = None

    @property
    def remote_href(self) -> str:
        return web_url(self.remote_url)


def _message_length(post: Post) -> int | None:
    """The message's characters as the network counts them, when the page already read
    the message (never a query per row)."""
    if not Post._meta.get_field("message").is_cached(post) or post.message is None:
        return None
    message = post.message
    return characters_used(message.text or "", post.network, getattr(message, "link_url", ""))


def explain_delivery(post: Post, error: str, *, network: str, profile: str) -> Explained:
    return explain(error, network=network, profile=profile, text_length=_message_length(post))


@dataclass(frozen=True)
class Outcome:
    """What happened on each profile of a sent post."""

    sent: int
    total: int
    failed: list[Target]
    unknown: int  # sent, but the postlog not read yet

    @property
    def shown(self) -> bool:
        return bool(self.total) and (bool(self.failed) or self.unknown < self.total)

    @property
    def headline(self) -> str:
        """ "2 of 3 sent", "Not sent to any of its 2 profiles", "Sent to its profile"."""
        if not self.failed:
            return "Sent to every profile" if self.total > 1 else "Sent"
        if not self.sent:
            return (
                "Not sent" if self.total == 1 else f"Not sent to any of its {self.total} profiles"
            )
        return f"{self.sent} of {self.total} sent"

    @property
    def summary(self) -> str:
        """The headline and every failure in one line (a row's title, an alert)."""
        parts = [self.headline]
        parts += [f"{t.network} ({t.label}) failed: {t.explained.words}" for t in self.failed]
        return " · ".join(parts)

    @property
    def retry_profiles(self) -> list[str]:
        return [t.profile_id for t in self.failed]

    @property
    def disconnected(self) -> list[Target]:
        return [t for t in self.failed if not t.connected]


def outcome_of(post: Post, targets: list[Target]) -> Outcome | None:
    """None for a post not sent yet (or sent and with no profile recorded)."""
    if post.status not in (Status.COMPLETE, Status.INCOMPLETE, Status.ERROR) or not targets:
        return None
    failed = [t for t in targets if t.status == "failed"]
    sent = sum(1 for t in targets if t.status == "success")
    return Outcome(
        sent=sent, total=len(targets), failed=failed, unknown=len(targets) - sent - len(failed)
    )


@dataclass(frozen=True)
class Links:
    """The post this one retries, and the posts that retry this one."""

    retry_of: str  # an Oktopost id, or ""
    retried_as: list[str]


def post_links(post: Post) -> Links:
    me = post.oktopost_id
    rows = PostLink.objects.filter(kind=PostLink.Kind.RETRY).filter(Q(source=me) | Q(target=me))
    rows = list(rows.order_by("created"))
    return Links(
        retry_of=next((r.source for r in rows if r.target == me), ""),
        retried_as=[r.target for r in rows if r.source == me],
    )


def made_here(post_ids: list[str]) -> dict[str, str]:
    """Of these posts, those created in oktodash, with the name of the user who made them
    (Oktopost only knows the API key's user): one query for a page."""
    rows = (
        Activity.objects.filter(
            action=Activity.Action.CREATE,
            outcome=Activity.Outcome.OK,
            post_oktopost_id__in=post_ids,
            user__isnull=False,
        )
        .order_by("at")
        .values_list("post_oktopost_id", "user__username", "user__first_name", "user__last_name")
    )
    names: dict[str, str] = {}
    for post_id, username, first, last in rows:
        names.setdefault(post_id, " ".join(p for p in (first, last) if p) or username)
    return names
