"""What every Oktopost type is read with: the datetime format, a reader that names the call
and field in every error, and a page of a list endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oktopost.errors import SchemaError

# Oktopost writes response datetimes as "YYYY-MM-DD HH:MM:SS" (UTC) and unset ones as the
# MySQL zero date (API reference §1 "Timestamps and formats").
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_ZERO_DATES = frozenset({"", "0000-00-00 00:00:00", "0000-00-00"})
MISSING = object()


def format_datetime(value: datetime) -> str:
    """Serialise an aware datetime the way Oktopost's list filters expect it, in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive; pass a timezone-aware datetime")
    return value.astimezone(UTC).strftime(_DATETIME_FORMAT)


def parse_datetime(value: str) -> datetime | None:
    """Parse an Oktopost datetime string into an aware UTC datetime; zero dates give None."""
    if value in _ZERO_DATES:
        return None
    return datetime.strptime(value, _DATETIME_FORMAT).replace(tzinfo=UTC)


class Reader:
    """Reads one decoded object and names the call and field in every error."""

    def __init__(self, raw: Any, *, call: str, where: str) -> None:
        if not isinstance(raw, Mapping):
            raise SchemaError(
                f"{where} is {type(raw).__name__}, expected an object", call=call, field=where
            )
        self.raw: dict[str, Any] = dict(raw)
        self.call = call
        self.where = where

    def fail(self, key: str, problem: str) -> SchemaError:
        name = f"{self.where}.{key}"
        return SchemaError(f"field {name} {problem}", call=self.call, field=name)

    def _get(self, key: str, required: bool) -> Any:
        value = self.raw.get(key, MISSING)
        if value is MISSING or value is None:
            if required:
                raise self.fail(key, "is missing")
            return MISSING
        return value

    def text(self, key: str, *, required: bool = False) -> str:
        value = self._get(key, required)
        if value is MISSING:
            return ""
        # Oktopost sends some ids and counters as numbers in one place and strings in another.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(key, f"should be a string, got {value!r}")
        if required and value == "":
            raise self.fail(key, "is empty")
        return str(value)

    def integer(self, key: str, *, required: bool = False, default: int = 0) -> int:
        value = self._get(key, required)
        if value is MISSING:
            return default
        # Numbers may arrive as strings ("Picture": "1", API reference §1); accept only
        # whole numbers so "abc" or "1.5" fail loudly instead of becoming 0.
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            if text.lstrip("-").isdigit():
                return int(text)
        raise self.fail(key, f"should be an integer, got {value!r}")

    def optional_int(self, key: str) -> int | None:
        """An analytics counter, where -1 means "not available for this network" (§4)."""
        if self._get(key, False) is MISSING:
            return None
        number = self.integer(key)
        return None if number < 0 else number

    def flag(self, key: str) -> bool:
        number = self.integer(key, default=0)
        if number not in (0, 1):
            raise self.fail(key, f"should be 0 or 1, got {self.raw[key]!r}")
        return number == 1

    def when(self, key: str, *, required: bool = False) -> datetime | None:
        value = self._get(key, required)
        if value is MISSING:
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"should be a 'YYYY-MM-DD HH:MM:SS' string, got {value!r}")
        try:
            return parse_datetime(value)
        except ValueError:
            raise self.fail(
                key, f"should be a 'YYYY-MM-DD HH:MM:SS' string, got {value!r}"
            ) from None

    def ids(self, key: str) -> tuple[str, ...]:
        """A list of ids sent either as a comma-separated string or as a JSON array."""
        value = self._get(key, False)
        if value is MISSING:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
            return tuple(str(item) for item in value)
        raise self.fail(key, f"should be a comma-separated string or a list, got {value!r}")

    def child(self, key: str) -> Reader:
        """A nested object that must be present."""
        return Reader(self._get(key, True), call=self.call, where=f"{self.where}.{key}")

    def array(self, key: str) -> list[Any]:
        value = self._get(key, False)
        if value is MISSING:
            return []
        if not isinstance(value, list):
            raise self.fail(key, f"should be a list, got {type(value).__name__}")
        return value


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a list endpoint: ``Items`` plus the ``Total`` across all pages."""

    items: tuple[T, ...]
    total: int
    page: int
    count: int

    @property
    def has_next(self) -> bool:
        # Oktopost's documented last-page rule (API reference §1 "Pagination").
        return bool(self.items) and (self.page + 1) * self.count < self.total
