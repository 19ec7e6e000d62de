"""Detection: what the mirror shows went wrong since the last look becomes alerts (one per
post per event, ever: the alert's unique key decides), then bell entries, and one grouped
message per user and per webhook."""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts import selectors
from alerts.models import Alert, Dispatch, Kind, Mode, Notification, Webhook, event_of
from alerts.services import compose
from alerts.services.preferences import bell_forget
from alerts.services.send import email_address, schedule_email
from posts.failures import DISCONNECTED, explain
from posts.models import Post
from posts.status import sync_status

log = logging.getLogger(__name__)
# Failed posts' error texts come with postlogs, a pass or two after the status: wait for
# them this long (from Oktopost's last change to the post) before alerting without them.
POSTLOG_WAIT = timedelta(minutes=10)
# Where an Oktopost admin reconnects a profile. Unconfirmed (only the API is documented),
# like the post address on the detail page: docs/oktopost.md.
RECONNECT_URL = "https://app.oktopost.com/settings/social-profiles"


def alerts_detect(*, now: datetime | None = None) -> list[Alert]:
    """Make the alerts due now and tell who wants to know. Safe to run concurrently: a
    key another run created first is skipped."""
    now = now or timezone.now()
    made = _post_alerts(now) + _approval_alerts(now) + _installation_alerts(now)
    if made:
        alerts_fan_out(made, now=now)
    return made


def _post_alerts(now: datetime) -> list[Alert]:
    found = selectors.posts_gone_wrong(now)
    if not found:
        return []
    known = selectors.alert_keys([f"{kind}:{post.oktopost_id}" for kind, post in found])
    campaigns = selectors.campaign_names({p.campaign_id for _, p in found if p.campaign_id})
    made, grouped = _disconnected_alerts(found, campaigns, now)
    found = [
        (k, p)
        for k, p in found
        if f"{k}:{p.oktopost_id}" not in known and p.oktopost_id not in grouped
    ]
    errors = selectors.failed_deliveries([p.id for k, p in found if k != Kind.STUCK])
    for kind, post in found:
        lines = [
            f"{n} · {name}: {_explained(error, n, name)}"
            for n, name, error in errors.get(post.id, [])
        ]
        if lines:
            lines.append(f"Happened at {_utc(post.start_at)}.")
        if kind != Kind.STUCK and not lines:
            if (post.modified or post.start_at) > now - POSTLOG_WAIT:
                continue  # the error texts are probably a sync away
            lines = [
                "Oktopost has not given the networks' error text yet; the post's page will show it."
            ]
        if kind == Kind.STUCK:
            lines = [f"Due {_utc(post.start_at)} and still {post.get_status_display().lower()}."]
        alert = _create(
            key=f"{kind}:{post.oktopost_id}",
            kind=kind,
            title=compose.kind_title(kind, _post_words(post, campaigns)),
            lines=lines,
            path=f"/posts/{post.oktopost_id}/",
            post_oktopost_id=post.oktopost_id,
            campaign_id=post.campaign_id or "",
            network=post.network,
            created_by=post.created_by,
            created=now,
        )
        if alert:
            made.append(alert)
    return made


def _explained(error: str, network: str, profile: str) -> str:
    said = explain(error, network=network, profile=profile)
    if not said.known:
        return said.words
    return f"{said.words[:1].upper()}{said.words[1:]}. {said.action}"


def _disconnected_alerts(
    found: list[tuple[str, Post]], campaigns: dict[str, str], now: datetime
) -> tuple[list[Alert], set[str]]:
    """One cause, one alert: the failed posts of one disconnected profile make one alert
    listing them, with the way to reconnect it. Its key names the newest post of the
    group, so the next run makes no other alert until something new fails there.
    Returns the alerts made and every post so grouped (never alerted one by one)."""
    failing = [p for k, p in found if k != Kind.STUCK]
    errors = selectors.failed_deliveries_by_profile([p.id for p in failing])
    groups: dict[str, list[Post]] = {}
    names: dict[str, tuple[str, str]] = {}
    for post in failing:
        causes = [
            (profile_id, network, name)
            for profile_id, network, name, error in errors.get(post.id, [])
            if explain(error, network=network).cause == DISCONNECTED
        ]
        if causes and len(causes) == len(errors.get(post.id, [])):
            profile_id, network, name = causes[0]
            groups.setdefault(profile_id, []).append(post)
            names[profile_id] = (network, name)
    made: list[Alert] = []
    grouped: set[str] = set()
    for profile_id, posts in groups.items():
        grouped |= {p.oktopost_id for p in posts}
        network, name = names[profile_id]
        newest = max(posts, key=lambda p: (p.start_at, p.oktopost_id))
        first = min(p.start_at for p in posts)
        count = f"{len(posts)} post{'s' if len(posts) != 1 else ''}"
        lines = [
            f"{network} ({name}) is disconnected from Oktopost since at least {_utc(first)}: "
            f"{count} failed there.",
            f"Reconnect it in Oktopost ({RECONNECT_URL}), then retry each post from its page.",
            *(
                f"{_post_words(p, campaigns)}, at {_utc(p.start_at)}: /posts/{p.oktopost_id}/"
                for p in sorted(posts, key=lambda p: p.start_at)[:50]
            ),
        ]
        alert = _create(
            key=f"disconnected:{profile_id}:{newest.oktopost_id}"[:120],
            kind=Kind.FAILED,
            title=f"{network} profile {name} is disconnected: {count} failed",
            lines=lines,
            path=f"/posts/?status=error&status=incomplete&profile={profile_id}",
            network=network,
            created=now,
        )
        if alert:
            made.append(alert)
    return made, grouped


def _post_words(post: Post, campaigns: dict[str, str]) -> str:
    text = post.message.text if post.message_id and post.message else ""
    text = " ".join(text.split())
    text = (text[:60] + "…") if len(text) > 60 else text
    campaign = campaigns.get(post.campaign_id or "", "")
    where = f" in {campaign}" if campaign else ""
    return f"{post.network} post “{text or post.oktopost_id}”{where}"


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")


def _approval_alerts(now: datetime) -> list[Alert]:
    """ "Approval overdue" for a post due within APPROVAL_OVERDUE_HOURS and still waiting,
    to its step's approvers and its creators; "changes requested" to its creators, with
    the note. Keyed by the approval item: each is said once, ever, whatever the step."""
    hours = settings.APPROVAL_OVERDUE_HOURS
    overdue = selectors.approvals_overdue(now, hours)
    rejected = selectors.approvals_rejected(now)
    known = selectors.alert_keys(
        [f"approval_overdue:{i.oktopost_id}" for i, _ in overdue]
        + [f"approval_rejected:{i.oktopost_id}" for i, _ in rejected]
    )
    campaigns = selectors.campaign_names(
        {p.campaign_id for _, p in overdue + rejected if p.campaign_id}
    )
    made = []
    for item, post in overdue:
        key = f"approval_overdue:{item.oktopost_id}"
        if key in known:
            continue
        step = item.step
        where = f"step {step.order} of {post.approval_steps}, {step.name}" if step else "a step"
        lines = [
            f"Due {_utc(post.start_at)} and still waiting for approval at {where}.",
            "It will not be sent until its last step approves.",
        ]
        alert = _create(
            key=key,
            kind=Kind.APPROVAL_OVERDUE,
            title=f"Approval overdue: {_post_words(post, campaigns)}",
            lines=lines,
            path="/approvals/",
            post_oktopost_id=post.oktopost_id,
            campaign_id=post.campaign_id or "",
            network=post.network,
            created_by=post.created_by,
            addressed=_people(*(step.approver_ids if step else []), item.created_by, post),
            created=now,
        )
        if alert:
            made.append(alert)
    for item, post in rejected:
        key = f"approval_rejected:{item.oktopost_id}"
        if key in known:
            continue
        decision = next((h for h in reversed(item.history) if h.get("action") == "rejected"), {})
        note = decision.get("note") or next(
            (h.get("note") for h in reversed(item.history) if h.get("note")), ""
        )
        step = item.step.name if item.step else ""
        lines = [
            f"Changes were requested{f' at {step}' if step else ''}"
            + (f": “{note}”" if note else "."),
            "The post is back to draft; change it and send it for approval again.",
        ]
        alert = _create(
            key=key,
            kind=Kind.APPROVAL_REJECTED,
            title=f"Changes requested: {_post_words(post, campaigns)}",
            lines=lines,
            path=f"/posts/{post.oktopost_id}/",
            post_oktopost_id=post.oktopost_id,
            campaign_id=post.campaign_id or "",
            network=post.network,
            created_by=post.created_by,
            addressed=_people(item.created_by, post),
            created=now,
        )
        if alert:
            made.append(alert)
    return made


def _people(*ids: object) -> list[str]:
    """Oktopost user ids, in order, once each; a post stands for its creator."""
    out: list[str] = []
    for who in ids:
        user_id = who.created_by if isinstance(who, Post) else who
        if isinstance(user_id, str) and user_id and user_id not in out:
            out.append(user_id)
    return out


def _installation_alerts(now: datetime) -> list[Alert]:
    try:
        status = sync_status()
    except Exception:  # the status bar's reads; a cache or limiter outage is not ours
        log.exception("alerts: the sync status could not be read")
        return []
    made = []
    if status.blocked_until:
        until = status.blocked_until
        made.append(
            _create(
                key=f"blocked:{until:%Y%m%dT%H%M}",
                kind=Kind.BLOCKED,
                title=f"Oktopost is blocking our API key until {_utc(until)}",
                lines=["Figures stay as they are until then; nothing is lost."],
                path="/posts/",
                created=now,
            )
        )
    if status.failing_long:
        since = status.last_sync
        made.append(
            _create(
                key=f"sync_failing:{since:%Y%m%dT%H%M%S}" if since else "sync_failing:never",
                kind=Kind.SYNC_FAILING,
                title=(
                    f"Syncs with Oktopost have failed for over "
                    f"{settings.SYNC_FAILING_AFTER_MINUTES} minutes"
                ),
                lines=[f"Last error: {status.last_error[:300]}"] if status.last_error else [],
                path="/posts/",
                created=now,
            )
        )
    budget = status.budget
    if budget and budget.limit_today and budget.left_today <= 0:
        made.append(
            _create(
                key=f"budget_spent:{now:%Y-%m-%d}",
                kind=Kind.BUDGET_SPENT,
                title="Today's Oktopost API budget is spent",
                lines=[
                    f"{budget.used_today} of {budget.limit_today} calls used; "
                    "refreshes resume at midnight UTC."
                ],
                path="/posts/",
                created=now,
            )
        )
    return [a for a in made if a]


def _create(**fields: object) -> Alert | None:
    try:
        with transaction.atomic():
            return Alert.objects.create(**fields)
    except IntegrityError:  # another run made it first: one alert per event, ever
        return None


def alerts_fan_out(alerts: list[Alert], *, now: datetime) -> list[Dispatch]:
    """Bell entries for everyone concerned, then one message per user who wants mail at
    once, and one per webhook: 200 failures make one message, not 200."""
    people = selectors.recipients()
    creators = selectors.created_here_by(
        [u.id for u, _ in people], [a.post_oktopost_id for a in alerts if a.post_oktopost_id]
    )
    dispatches = []
    told = []
    with transaction.atomic():
        for user, pref in people:
            mine = [a for a in alerts if selectors.concerns(a, user, pref, creators)]
            if not mine:
                continue
            Notification.objects.bulk_create(
                [Notification(user=user, alert=a, created=now) for a in mine],
                ignore_conflicts=True,
            )
            told.append(user.id)
            if pref.mode == Mode.IMMEDIATE and email_address(user, pref):
                dispatches.append(schedule_email(user, pref, mine, now=now))
        for hook in Webhook.objects.filter(enabled=True):
            theirs = [a for a in alerts if event_of(a.kind) in hook.events]
            if theirs:
                dispatch = Dispatch.objects.create(
                    channel=Dispatch.Channel.WEBHOOK,
                    webhook=hook,
                    subject=compose.alerts_subject(theirs),
                    body=compose.webhook_text(theirs),
                    created=now,
                    due_at=now,
                )
                dispatch.alerts.set(theirs)
                dispatches.append(dispatch)
    from alerts.services.send import dispatches_queue

    bell_forget(told)
    dispatches_queue([d.id for d in dispatches if d.due_at <= now])
    return dispatches
