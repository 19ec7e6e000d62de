"""The words of alert messages: one message for any number of alerts (no storms)."""

import re
from collections import Counter
from datetime import tzinfo

from django.conf import settings

from alerts.models import Alert, Kind

LISTED = 50  # alerts listed in one message; the rest are a count and a link
ATTENTION_PATH = "/posts/?preset=attention"


def _when(alert: Alert, zone: tzinfo) -> str:
    return alert.created.astimezone(zone).strftime("%-d %b %Y, %H:%M %Z")


def count(alerts: list) -> str:
    return "1 alert" if len(alerts) == 1 else f"{len(alerts)} alerts"


def one_line(text: str) -> str:
    """A mail header's text: line breaks and other control characters (a campaign named
    "Spring\r\nBcc: …" in Oktopost) become spaces, so no header can be added or broken."""
    return " ".join(_CONTROL.sub(" ", text).split())


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


def alerts_subject(alerts: list[Alert]) -> str:
    if len(alerts) == 1:
        return one_line(f"[oktodash] {alerts[0].title}")
    counts = Counter(a.get_kind_display().lower() for a in alerts)
    parts = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
    return f"[oktodash] {len(alerts)} alerts: {parts}"


def alerts_text(alerts: list[Alert], zone: tzinfo, *, intro: str = "") -> str:
    """Plain text: each alert with its per-profile lines and its link."""
    out = [intro] if intro else []
    if len(alerts) > 1 and not intro:
        out.append(f"{len(alerts)} things need attention in oktodash:")
    for alert in alerts[:LISTED]:
        out.append("")
        out.append(f"* {alert.title} ({_when(alert, zone)})")
        out.extend(f"    {line}" for line in alert.lines)
        out.append(f"    {alert.url}")
    if len(alerts) > LISTED:
        out.append("")
        out.append(
            f"… and {len(alerts) - LISTED} more: {settings.SITE_URL}{ATTENTION_PATH}"
            " lists every failed and stuck post."
        )
    out.append("")
    out.append(f"Choose what you get: {settings.SITE_URL}/alerts/settings/")
    return "\n".join(out).strip() + "\n"


def webhook_text(alerts: list[Alert]) -> str:
    """Slack-style mrkdwn (Teams and Mattermost show it too); times in UTC."""
    from datetime import UTC

    head = alerts[0].title if len(alerts) == 1 else f"{len(alerts)} alerts from oktodash"
    out = [f"*{head}*"]
    for alert in alerts[:LISTED]:
        if len(alerts) > 1:
            out.append(f"• <{alert.url}|{alert.title}> ({_when(alert, UTC)})")
        else:
            out.append(f"<{alert.url}|Open in oktodash> ({_when(alert, UTC)})")
        out.extend(f"    {line}" for line in alert.lines[:10])
    if len(alerts) > LISTED:
        out.append(f"… and {len(alerts) - LISTED} more: <{settings.SITE_URL}{ATTENTION_PATH}>")
    return "\n".join(out)


def kind_title(kind: str, what: str) -> str:
    return {
        Kind.FAILED: f"Failed: {what}",
        Kind.PARTIAL: f"Partly failed: {what}",
        Kind.STUCK: f"Stuck: {what}",
    }.get(kind, what)
