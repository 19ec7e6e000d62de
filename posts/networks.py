"""What each network accepts, as far as the create form checks it before Oktopost does."""

import re

# Characters a network accepts in a post (X counts every link as 23 characters).
NETWORK_LIMITS = {
    "Twitter": 280,
    "LinkedIn": 3000,
    "Facebook": 63206,
    "Instagram": 2200,
    "YouTube": 5000,  # the video description; the title has its own limit
}
YOUTUBE_TITLE_LIMIT = 100
TWITTER_LINK_LENGTH = 23
_URL = re.compile(r"https?://\S+", re.IGNORECASE)

# The statuses a new post may be created with (Oktopost's values, our words).
CREATE_STATUSES = {
    "pending": "Scheduled",
    "draft": "Draft",
    "inqueue": "Queued",
    "inqueue-draft": "Queued draft",
}


def characters_used(text: str, network: str, link_url: str = "") -> int:
    if network != "Twitter":
        return len(text)
    used = len(_URL.sub("x" * TWITTER_LINK_LENGTH, text))
    if link_url and link_url not in text:
        used += 1 + TWITTER_LINK_LENGTH  # Oktopost appends the link after a space
    return used
