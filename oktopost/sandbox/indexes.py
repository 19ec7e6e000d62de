"""The world's post indexes: posts sorted by each order field, posts by each filter field,
and the unsent queue, kept in step with every change, and the post list read from them.

`World` mixes this in; the indexes live on the world (built in its `__init__`, rebuilt
after a load or a generation) and this module only keeps and reads them.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import TYPE_CHECKING, Any

from oktopost.sandbox.records import FILTER_FIELDS, ORDER_FIELDS, SCHEDULED, Post

if TYPE_CHECKING:
    from oktopost.sandbox.workflows import Approvals

# Above this many changed rows a full re-sort beats one insort per row.
BULK_REINDEX = 256


class PostIndexes:
    """The indexes of `World.posts` (a mixin of `World`)."""

    posts: dict[str, Post]
    approvals: Approvals
    version: int
    # Order field -> sorted (value, post id); filter field -> value -> post ids.
    order_index: dict[str, list[tuple[int, str]]]
    field_index: dict[str, dict[str, set[str]]]
    # (StartDateTime, id) of posts that will go out when due, oldest first.
    unsent: list[tuple[int, str]]

    def rebuild_indexes(self) -> None:
        for attr in self.order_index:
            self.order_index[attr] = sorted((getattr(p, attr), p.id) for p in self.posts.values())
        for attr in self.field_index:
            index: dict[str, set[str]] = {}
            for post in self.posts.values():
                index.setdefault(getattr(post, attr), set()).add(post.id)
            self.field_index[attr] = index
        self.unsent = sorted(
            (p.start, p.id)
            for p in self.posts.values()
            if p.status in SCHEDULED and not p.stuck and p.id not in self.approvals.waiting
        )

    def _index_add(self, post: Post) -> None:
        for attr, index in self.order_index.items():
            insort(index, (getattr(post, attr), post.id))
        for attr, index in self.field_index.items():
            index.setdefault(getattr(post, attr), set()).add(post.id)
        if post.status in SCHEDULED and not post.stuck and post.id not in self.approvals.waiting:
            insort(self.unsent, (post.start, post.id))

    def _index_remove(self, post: Post) -> None:
        for attr, index in self.order_index.items():
            _sorted_remove(index, (getattr(post, attr), post.id))
        for attr, index in self.field_index.items():
            index.get(getattr(post, attr), set()).discard(post.id)
        _sorted_remove(self.unsent, (post.start, post.id))

    def _change(self, post: Post, **changes: Any) -> None:
        """Apply attribute changes to a post, keeping every index in step."""
        self._index_remove(post)
        for name, value in changes.items():
            setattr(post, name, value)
        self._index_add(post)
        self.version += 1

    def _set_status_index(self, post: Post, old_status: str) -> None:
        index = self.field_index["status"]
        index.get(old_status, set()).discard(post.id)
        index.setdefault(post.status, set()).add(post.id)

    def _move_modified(self, moved: list[tuple[int, str]]) -> None:
        index = self.order_index["modified"]
        if len(moved) > BULK_REINDEX:
            self.order_index["modified"] = sorted((p.modified, p.id) for p in self.posts.values())
            return
        for key in moved:
            _sorted_remove(index, key)
            insort(index, (self.posts[key[1]].modified, key[1]))

    # ------------------------------------------------------------- listing

    def list_posts(
        self,
        *,
        order: str,
        descending: bool,
        after: int | None,
        before: int | None,
        equals: dict[str, str],
        page: int,
        count: int,
    ) -> tuple[list[Post], int]:
        attr = ORDER_FIELDS[order]
        index = self.order_index[attr]
        lo = bisect_left(index, (after, "")) if after is not None else 0
        hi = bisect_left(index, (before, "")) if before is not None else len(index)
        hi = max(lo, hi)
        if equals:
            sets = sorted(
                (self.field_index[FILTER_FIELDS[k]].get(v, set()) for k, v in equals.items()),
                key=len,
            )
            smallest, rest = sets[0], sets[1:]
            if len(smallest) * 8 < hi - lo:
                low = after if after is not None else -(2**62)
                high = before if before is not None else 2**62
                keys = [
                    (getattr(self.posts[pid], attr), pid)
                    for pid in smallest
                    if all(pid in s for s in rest)
                ]
                matched = sorted(k for k in keys if low <= k[0] < high)
            else:
                matched = [
                    k for k in index[lo:hi] if k[1] in smallest and all(k[1] in s for s in rest)
                ]
            return self.posts_page(matched, 0, len(matched), descending, page, count)
        return self.posts_page(index, lo, hi, descending, page, count)

    def posts_page(
        self,
        keys: list[tuple[int, str]],
        lo: int,
        hi: int,
        descending: bool,
        page: int,
        count: int,
    ) -> tuple[list[Post], int]:
        skip = page * count
        if descending:
            end = hi - skip
            chosen = keys[max(lo, end - count) : end][::-1] if end > lo else []
        else:
            chosen = keys[lo + skip : min(hi, lo + skip + count)]
        return [self.posts[pid] for _, pid in chosen], hi - lo


def _sorted_remove(index: list[tuple[int, str]], key: tuple[int, str]) -> None:
    at = bisect_left(index, key)
    if at < len(index) and index[at] == key:
        del index[at]
