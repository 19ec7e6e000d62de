"""Fixed vocabulary of the demo account: people, profiles, post texts, network errors.

The sandbox builds its world from it and `posts.seeding` its mirror rows, so both look alike.
"""

from __future__ import annotations

import random
import string

NETWORKS: tuple[str, ...] = ("Twitter", "LinkedIn", "Facebook", "Instagram", "YouTube")

# Text limits each network enforces on publish; messages are generated up to
# these and POST /message rejects longer text, like Oktopost's composer does.
TEXT_LIMITS: dict[str, int] = {
    "Twitter": 280,
    "LinkedIn": 3000,
    "Facebook": 63206,
    "Instagram": 2200,
    "YouTube": 5000,
}

ACCOUNT_NAME = "Northwind Analytics"

# (first name, last name); the first one is the API user behind /me.
USERS: tuple[tuple[str, str], ...] = (
    ("Dana", "Whitfield"),
    ("Marco", "Ibáñez"),
    ("Priya", "Raman"),
    ("Tomasz", "Kowalczyk"),
)

# (name, status, url, has dates)
CAMPAIGNS: tuple[tuple[str, str, str, bool], ...] = (
    ("Q3 Product Launch", "active", "https://northwind.example/launch", True),
    ("Always-on Thought Leadership", "active", "https://northwind.example/blog", False),
    ("Customer Stories", "active", "https://northwind.example/customers", False),
    ("Webinar: Data Pipelines 101", "paused", "https://northwind.example/webinars", True),
    ("Hiring 2024", "complete", "https://northwind.example/careers", True),
)

# (network, display name, network username, valid); ids get a network-side number.
CREDENTIALS: tuple[tuple[str, str, str, bool], ...] = (
    ("Twitter", "Northwind", "northwind", True),
    ("Twitter", "Northwind Support", "northwind_help", True),
    ("Twitter", "Northwind Careers", "northwind_jobs", False),
    ("LinkedIn", "Northwind Analytics", "northwind-analytics", True),
    ("LinkedIn", "Dana Whitfield", "danawhitfield", True),
    ("LinkedIn", "Northwind Engineering", "northwind-engineering", True),
    ("Facebook", "Northwind Analytics", "NorthwindAnalytics", True),
    ("Facebook", "Northwind Community", "NorthwindCommunity", True),
    ("Instagram", "northwind.analytics", "northwind.analytics", True),
    ("YouTube", "Northwind Analytics", "UCx7NorthwindAnalytics", True),
)

OPENERS = (
    "New on the blog:",
    "Just published:",
    "ICYMI:",
    "We asked 400 data teams one question.",
    "Big news!",
    "Quick tip for your Monday:",
    "Three things we learned this quarter.",
    "Behind the scenes:",
    "Customer story:",
    "Join us live:",
)

TOPICS = (
    "why dashboards go stale and how to stop it",
    "the hidden cost of manual CSV exports",
    "how Acme cut reporting time by 62%",
    "building a data pipeline your finance team trusts",
    "what changed in our Q3 release",
    "five metrics every B2B marketer should track",
    "real-time alerts without alert fatigue",
    "scaling analytics from 10 to 10,000 users",
    "our open-source connector for PostgreSQL",
    "lessons from migrating 2 PB to the cloud",
    "the state of data quality in 2024",
    "pricing pages that convert: a teardown",
)

CLOSERS = (
    "Read more 👇",
    "What would you add?",
    "Link in bio.",
    "Tell us in the comments.",
    "Save the date.",
    "Worth 5 minutes of your time.",
    "",
)

HASHTAGS = (
    "#analytics",
    "#data",
    "#B2B",
    "#marketing",
    "#SaaS",
    "#dataengineering",
    "#BI",
    "#AI",
    "#webinar",
    "#hiring",
)

FILLER = (
    "Most teams we talk to spend more time moving numbers around than reading them. "
    "The fix is rarely another tool; it is agreeing on one definition per metric, "
    "owning it, and making every chart say how fresh it is. "
    "We rebuilt our own reporting around that idea and the weekly review went from "
    "ninety minutes to twenty. Here is what we changed, what broke on the way, and "
    "what we would do differently if we started again tomorrow. "
)

# What each network says when a publish fails; shown verbatim in Postlog.Error.
NETWORK_ERRORS: dict[str, tuple[str, ...]] = {
    "Twitter": (
        "Status is a duplicate. (187)",
        "You are not allowed to create a Tweet with duplicate content.",
        "Tweet needs to be a bit shorter. (186)",
        "Over capacity (130)",
    ),
    "LinkedIn": (
        "Content is a duplicate of urn:li:share:7101223344556677889",
        "Unable to post: the LinkedIn API returned 429 Too Many Requests",
        "ERROR :: /commentary :: is too long",
    ),
    "Facebook": (
        "(#200) The user hasn't authorized the application to perform this action",
        "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
        "(#100) The image URL could not be downloaded",
    ),
    "Instagram": (
        "The aspect ratio is not supported. (36003)",
        "Media ID is not available (9007)",
        "The image size is too large. (36001)",
    ),
    "YouTube": (
        "The request cannot be completed because you have exceeded your quota.",
        "uploadLimitExceeded: The user has exceeded the number of videos they may upload.",
    ),
}

# What a publish to a disconnected profile fails with.
INVALID_TOKEN_ERRORS: dict[str, str] = {
    "Twitter": "Invalid or expired token. (89)",
    "LinkedIn": "The token used in the request has expired",
    "Facebook": (
        "Error validating access token: The session has been invalidated because the "
        "user changed their password or Facebook has changed the session for security "
        "reasons."
    ),
    "Instagram": "Error validating access token: Session has expired.",
    "YouTube": "Request had invalid authentication credentials.",
}


def message_text(rng: random.Random, network: str, *, long: bool, link: str) -> str:
    """A plausible post text for `network`; `long` ones land just under the limit."""
    limit = TEXT_LIMITS[network]
    tags = " ".join(rng.sample(HASHTAGS, rng.randint(0, 3)))
    parts = [rng.choice(OPENERS), rng.choice(TOPICS).capitalize() + "."]
    closer = rng.choice(CLOSERS)
    if closer:
        parts.append(closer)
    text = " ".join(parts)
    if long:
        # Cap long texts at LinkedIn's size even on Facebook: nobody writes 63k.
        target = min(limit, 3000) - rng.randint(1, 12)
        body = FILLER * (target // len(FILLER) + 1)
        text = (text + "\n\n" + body)[:target].rstrip()
    suffix = " ".join(s for s in (link, tags) if s)
    if suffix and len(text) + 1 + len(suffix) <= limit:
        text = f"{text} {suffix}" if not long else f"{text}\n{suffix}"[:limit]
    return text[:limit]


def youtube_title(rng: random.Random) -> str:
    return rng.choice(TOPICS).capitalize()[:100]


def short_code(rng: random.Random, length: int = 7) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def remote_post(network: str, username: str, digest: int) -> tuple[str, str]:
    """(RemoteId, RemoteUrl) in each network's own id format, derived from `digest`."""
    if network == "Twitter":
        rid = str(1_700_000_000_000_000_000 + digest % 99_999_999_999_999_999)
        return rid, f"https://twitter.com/{username}/status/{rid}"
    if network == "LinkedIn":
        rid = f"urn:li:share:{7_100_000_000_000_000_000 + digest % 99_999_999_999_999_999}"
        return rid, f"https://www.linkedin.com/feed/update/{rid}"
    if network == "Facebook":
        page = 100_000_000_000_000 + digest % 899_999_999
        post = 700_000_000_000_000 + (digest >> 20) % 99_999_999_999_999
        return f"{page}_{post}", f"https://www.facebook.com/{page}/posts/{post}"
    alphabet = string.ascii_letters + string.digits + "-_"
    code = "".join(alphabet[(digest >> (6 * i)) % 64] for i in range(11))
    if network == "Instagram":
        rid = str(17_900_000_000_000_000 + digest % 99_999_999_999_999)
        return rid, f"https://www.instagram.com/p/{code}/"
    return code, f"https://www.youtube.com/watch?v={code}"
