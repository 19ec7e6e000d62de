"""What the client's calls share: paging, ids, times and parameter checks.

Oktopost's lists, ids and times follow one set of rules across endpoints (API reference
§1), so every resource module builds its parameters with these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from oktopost.types import Page

# Oktopost accepts only these page sizes on most lists (API reference §1 "Pagination").
PAGE_SIZES = (25, 50, 100)
Direction = Literal["asc", "desc"]


def paging(page: int, count: int, sizes: tuple[int, ...] = PAGE_SIZES) -> dict[str, Any]:
    if count not in sizes:
        raise ValueError(f"count must be one of {sizes}, got {count}")
    if page < 0:
        raise ValueError(f"page must be >= 0, got {page}")
    return {"_page": page, "_count": count}


def iterate[T](fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    page_number = 0
    while True:
        page = fetch(page_number)
        yield from page.items
        if not page.has_next:
            return
        page_number += 1


def drop_none(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def order_param(field: str | None, direction: str | None, allowed: tuple[str, ...]) -> str | None:
    """``_order`` as ``field`` or ``field,1`` (ascending) / ``field,0`` (descending), the
    form the SDK's users test and the dashboards page use."""
    if field is None:
        if direction is not None:
            raise ValueError("direction needs an order")
        return None
    if field not in allowed:
        raise ValueError(f"order must be one of {allowed}, got {field!r}")
    if direction is None:
        return field
    if direction not in ("asc", "desc"):
        raise ValueError(f"direction must be asc or desc, got {direction!r}")
    return f"{field},{1 if direction == 'asc' else 0}"


def required(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value.strip()


def id_list(ids: Sequence[str] | str, name: str) -> tuple[str, ...]:
    if isinstance(ids, str):
        raise TypeError(f"{name} must be a sequence of ids, not a string")
    return tuple(dict.fromkeys(str(item).strip() for item in ids if str(item).strip()))


def join_ids(ids: Sequence[str] | str, name: str, *, required: bool = False) -> str:
    if isinstance(ids, str):
        # A bare string would be joined letter by letter.
        raise TypeError(f"{name} must be a sequence of ids, not a string")
    joined = ",".join(str(item).strip() for item in ids)
    if required and not joined:
        raise ValueError(f"{name} must not be empty")
    return joined


def epoch(value: datetime) -> int:
    # Oktopost takes startDateTime as Unix seconds (API reference §2 "Create params").
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive; pass a timezone-aware datetime")
    return int(value.timestamp())


def segment(value: str) -> str:
    if not value:
        raise ValueError("an id is required")
    return quote(str(value), safe="")
