"""How a sent post's engagement grows: each counter tends to a ceiling derived from the
post's and profile's ids, so every run agrees and the numbers only grow with time."""

from __future__ import annotations

import math

from oktopost.sandbox.records import DAY

STAT_KEYS = ("LinkClicks", "Conversions", "Comments", "Likes", "Shares", "ImpressionsAdded")
POSTLOG_EXTRA_STAT_KEYS = ("MediaClicksAdded", "DetailExpandsAdded", "UserFollowsAdded")
IMPRESSION_FACTOR = {"Twitter": 2.0, "LinkedIn": 3.0, "Facebook": 1.5, "Instagram": 2.0}


def ceilings(d: int, network: str) -> dict[str, float]:
    """What each counter tends to, and the time constant ``tau``, from a digest ``d`` of the
    post and profile ids."""
    impressions = (150 + d % 4000) * IMPRESSION_FACTOR.get(network, 1.0)
    clicks = impressions * (5 + (d >> 12) % 40) / 1000
    likes = impressions * (5 + (d >> 20) % 45) / 1000
    caps = {
        "LinkClicks": clicks,
        "Conversions": clicks * ((d >> 28) % 12) / 100,
        "Comments": likes * ((d >> 34) % 25) / 100,
        "Likes": likes,
        "Shares": likes * ((d >> 40) % 30) / 100,
        "ImpressionsAdded": impressions,
        "MediaClicksAdded": impressions * ((d >> 46) % 20) / 1000,
        "DetailExpandsAdded": impressions * ((d >> 52) % 30) / 1000,
        "UserFollowsAdded": impressions * ((d >> 58) % 5) / 1000,
    }
    # Time constant of the growth: most engagement lands within hours to days.
    caps["tau"] = 3 * 3600 + (d >> 64) % (3 * DAY)
    return caps


def grown(caps: dict[str, float], age: int, keys: tuple[str, ...]) -> dict[str, int]:
    """The counters ``age`` seconds after sending."""
    share = _share(caps, age)
    return {key: int(caps[key] * share) for key in keys}


def count_at(caps: dict[str, float], key: str, age: int) -> int:
    """One counter ``age`` seconds after sending, exactly as ``grown`` gives it."""
    return int(caps[key] * _share(caps, age))


def nth_at(caps: dict[str, float], key: str, n: int) -> int:
    """The age (whole seconds) at which the counter reaches ``n``: the smallest ``a`` with
    ``count_at(a) >= n``. Lets the sandbox date each click counted in LinkClicks."""
    cap = caps[key]
    left = 1.0 - n / cap
    guess = max(0, math.ceil(-caps["tau"] * math.log(left))) if left > 0 else None
    if guess is not None:
        # Exact but for rounding: check the neighbours before searching.
        if count_at(caps, key, guess) >= n and (guess == 0 or count_at(caps, key, guess - 1) < n):
            return guess
        if count_at(caps, key, guess + 1) >= n and count_at(caps, key, guess) < n:
            return guess + 1
    # A counter whose cap is a whole number reaches it only when the float share rounds
    # to 1.0: find that second by bisection.
    low, high = 0, max(1, int(caps["tau"]))
    while count_at(caps, key, high) < n:
        low, high = high, high * 2
    while low < high:
        middle = (low + high) // 2
        if count_at(caps, key, middle) >= n:
            high = middle
        else:
            low = middle + 1
    return low


def _share(caps: dict[str, float], age: int) -> float:
    return 1.0 - math.exp(-max(0, age) / caps["tau"])
