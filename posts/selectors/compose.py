"""Reads for creating posts: what the create form shows while the editor types,
the messages it offers, and what its preview reads."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.localtime import BadLocalTime, is_ambiguous, local_to_utc, parse_local
from posts import attached_media as attachment_selectors
from posts import media_rules
from posts.models import Delivery, Message, Post, Profile
from posts.networks import NETWORK_LIMITS, YOUTUBE_TITLE_LIMIT, characters_used
from posts.queue import MAX_TEXT, search_words
from posts.search import messages_matching

DUPLICATE_WINDOW = timedelta(hours=3)


@dataclass(frozen=True)
class Counter:
    label: str
    used: int
    limit: int

    @property
    def left(self) -> int:
        return self.limit - self.used

    @property
    def over(self) -> int:
        return self.used - self.limit


@dataclass(frozen=True)
class CreateChecks:
    counters: list[Counter]
    duplicates: list[Post]
    past: bool
    local: datetime | None
    utc: datetime | None
    ambiguous: bool
    time_error: str
    # When the local time happens twice: the second instant, which is not used.
    utc_later: datetime | None = None
    media: media_rules.Verdict | None = None
    first_comment_left: int | None = None


def media_items(media_ids: list[str], upload_keys: list[str], *, user) -> list[media_rules.Item]:
    """What the network limits are checked against: attached library media (their size
    as Oktopost lists it) and our own files, ready or still being processed."""
    items = [
        media_rules.Item(m.kind, m.name, m.size, m.duration)
        for m in attachment_selectors.preview_media(media_ids)
    ]
    ready = {m for m in media_ids}
    for local in attachment_selectors.files_of(upload_keys, user=user):
        if local.media_id not in ready:
            items.append(media_rules.Item(local.media_kind, local.name, local.size, local.duration))
    return items


def compose_media(data, *, user) -> dict[str, object]:
    """What the create form had attached, to show again when it comes back with errors."""
    if data is None or not hasattr(data, "getlist"):
        return {"attached_media": [], "attached_files": [], "comment_media": None}
    files = attachment_selectors.files_of(data.getlist("upload")[:50], user=user)
    from_files = {f.media_id for f in files if f.media_id}
    media_ids = [m for m in data.getlist("media")[:50] if m not in from_files]
    comment = attachment_selectors.preview_media([data.get("first_comment_media", "")])
    return {
        "attached_media": attachment_selectors.preview_media(media_ids),
        "attached_files": files,
        "comment_media": comment[0] if comment else None,
    }


def create_checks(form, user) -> CreateChecks:
    """What the create form shows while the editor types (computed from raw input)."""
    data = form.data
    message = None
    if data.get("source") == "existing" and data.get("message"):
        message = Message.objects.filter(oktopost_id=data.get("message")).first()
    network = message.network if message else data.get("network", "")
    text = message.text if message else data.get("text", "")
    link = message.link_url if message else data.get("link_url", "")
    counters = []
    if network in NETWORK_LIMITS:
        label = "Description" if network == "YouTube" else network
        counters.append(
            Counter(label, characters_used(text, network, link), NETWORK_LIMITS[network])
        )
    if network == "YouTube":
        counters.append(Counter("Video title", len(data.get("title", "")), YOUTUBE_TITLE_LIMIT))
    local = utc = None
    ambiguous, time_error = False, ""
    utc_later = None
    when = data.get("when", "")
    if when and not data.get("asap"):
        try:
            local = parse_local(when)
            utc = local_to_utc(local, user.zone)
            ambiguous = is_ambiguous(local, user.zone)
            if ambiguous:
                utc_later = local.replace(tzinfo=user.zone, fold=1).astimezone(UTC)
        except BadLocalTime as exc:
            time_error = str(exc)
    duplicates: list[Post] = []
    profiles = data.getlist("profiles") if hasattr(data, "getlist") else []
    if message and profiles:
        moment = utc or timezone.now()
        duplicates = list(
            Post.objects.filter(
                message_id=message.oktopost_id,
                deleted_at__isnull=True,
                start_at__gte=moment - DUPLICATE_WINDOW,
                start_at__lte=moment + DUPLICATE_WINDOW,
            )
            .filter(Exists(Delivery.objects.filter(post=OuterRef("pk"), profile_id__in=profiles)))
            .order_by("start_at")[:5]
        )
    verdict = None
    getlist = data.getlist if hasattr(data, "getlist") else (lambda _: [])
    media_ids, upload_keys = getlist("media")[:50], getlist("upload")[:50]
    if network and not message:
        verdict = media_rules.check(network, media_items(media_ids, upload_keys, user=user))
    comment = data.get("first_comment_text", "")
    return CreateChecks(
        media=verdict,
        first_comment_left=media_rules.FIRST_COMMENT_LIMIT - len(comment) if comment else None,
        counters=counters,
        duplicates=duplicates,
        past=bool(utc and utc < timezone.now()),
        local=local,
        utc=utc,
        ambiguous=ambiguous,
        time_error=time_error,
        utc_later=utc_later,
    )


def messages_search(q: str, campaign: str, network: str, limit: int = 20) -> list[Message]:
    found = Message.objects.select_related("campaign").order_by("-created", "-id")
    if words := search_words(q[:MAX_TEXT]):
        found = found.filter(oktopost_id__in=messages_matching(words))
    if campaign:
        found = found.filter(campaign_id=campaign[:32])
    if network:
        found = found.filter(network=network[:32])
    return list(found[:limit])


def compose_preview_sources(
    *, source: str, message_id: str, profile_ids: list[str]
) -> tuple[Message | None, dict[str, list[str]]]:
    """What the compose preview reads from the mirror: the chosen existing message (when
    the form uses one) and the selected profiles' names by network, in the form's order."""
    message = None
    if source == "existing" and message_id:
        message = Message.objects.filter(oktopost_id=message_id[:32]).first()
    by_network: dict[str, list[str]] = {}
    profiles = Profile.objects.filter(oktopost_id__in=[p[:64] for p in profile_ids[:200]])
    for profile in profiles.order_by("network", "name"):
        by_network.setdefault(profile.network, []).append(profile.label)
    return message, by_network
