"""A network's error text, explained: what went wrong in plain words, and what to do.

Pure (no Django, no models): the texts are the ones Oktopost relays from each network
in a postlog's `Error` (the sandbox's `oktopost.demo.content.NETWORK_ERRORS` and
`INVALID_TOKEN_ERRORS` hold the ones seen in the field). Each rule is a pattern of the
network's own text and a cause; an unknown text is shown as it is, with no guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from posts.networks import NETWORK_LIMITS

# Causes, each with one thing the editor can do. "Retry" means the retry action helps
# as is; the others need a change first (the retry action refuses a disconnected
# profile until Oktopost says it is connected again).
DISCONNECTED = "disconnected"
TOO_LONG = "too_long"
DUPLICATE = "duplicate"
MEDIA = "media"
NOT_ALLOWED = "not_allowed"
BUSY = "busy"
UNKNOWN = "unknown"

ACTIONS = {
    DISCONNECTED: "Reconnect the profile in Oktopost, then retry.",
    TOO_LONG: "Shorten the text (duplicate the post and edit it), then send it again.",
    DUPLICATE: "Change the wording (duplicate the post and edit it): the network refuses "
    "the same text twice.",
    MEDIA: "Replace the image or video (duplicate the post and attach another one).",
    NOT_ALLOWED: "Check the profile's permissions in Oktopost (reconnecting it usually "
    "grants them again), then retry.",
    BUSY: "Nothing is wrong with the post: the network was busy. Retry it.",
    UNKNOWN: "",
}

# What a person calls each cause, for alerts grouped by cause.
CAUSE_TITLES = {
    DISCONNECTED: "profile disconnected",
    TOO_LONG: "text too long",
    DUPLICATE: "duplicate text",
    MEDIA: "media refused",
    NOT_ALLOWED: "permission missing",
    BUSY: "network busy",
    UNKNOWN: "network error",
}


@dataclass(frozen=True)
class Explained:
    cause: str
    words: str  # what went wrong, one sentence without a final full stop
    action: str  # what to do, "" when we do not know
    raw: str  # the network's own text

    @property
    def known(self) -> bool:
        return self.cause != UNKNOWN

    @property
    def retry_helps(self) -> bool:
        return self.cause in (DISCONNECTED, NOT_ALLOWED, BUSY, UNKNOWN)


_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        DISCONNECTED,
        re.compile(
            r"invalid or expired token|token used in the request has expired|"
            r"error validating access token|invalid authentication credentials|"
            r"session has (expired|been invalidated)|profile .* is invalid|reconnect",
            re.I,
        ),
    ),
    (
        TOO_LONG,
        re.compile(r"too long|needs to be a bit shorter|\(186\)|exceeds .*characters", re.I),
    ),
    (DUPLICATE, re.compile(r"duplicate", re.I)),
    (
        MEDIA,
        re.compile(
            r"aspect ratio|image size|image url could not be downloaded|media id is not "
            r"available|\(36003\)|\(36001\)|\(9007\)|video .*(too|invalid)",
            re.I,
        ),
    ),
    (
        NOT_ALLOWED,
        re.compile(r"not authorized|hasn't authorized|\(#200\)|deemed abusive|\(#368\)", re.I),
    ),
    (
        BUSY,
        re.compile(
            r"too many requests|\b429\b|over capacity|\(130\)|exceeded your quota|"
            r"uploadlimitexceeded|rate limit",
            re.I,
        ),
    ),
)


def explain(
    error: str, *, network: str, profile: str = "", text_length: int | None = None
) -> Explained:
    """`error` (a postlog's Error) in words. `text_length`: the message's characters as
    the network counts them, to say by how much a text is too long."""
    raw = (error or "").strip()
    cause = next((c for c, pattern in _RULES if pattern.search(raw)), UNKNOWN)
    where = network or "the network"
    who = f"the profile {profile}" if profile else "the profile"
    if cause == DISCONNECTED:
        words = f"{who}'s connection to {where} has expired or was revoked"
    elif cause == TOO_LONG:
        limit = NETWORK_LIMITS.get(network)
        if text_length is not None and limit and text_length > limit:
            size = f" ({text_length:,} of {limit:,} characters)"
        elif text_length is not None and limit:
            # The network counts links and mentions its own way.
            size = f" ({text_length:,} of {limit:,} characters by our count)"
        else:
            size = ""
        words = f"the text is too long for {where}{size}"
    elif cause == DUPLICATE:
        words = f"{where} refused the text as a duplicate of an earlier post"
    elif cause == MEDIA:
        words = f"{where} refused the attached image or video"
    elif cause == NOT_ALLOWED:
        words = f"{where} did not allow {who} to publish this"
    elif cause == BUSY:
        words = f"{where} was busy or over its limits when the post went out"
    else:
        words = raw or "no reason was given"
    return Explained(cause=cause, words=words, action=ACTIONS[cause], raw=raw)
