"""The queue's walk of a sort's index (posts.selectors.queue: more than a page of posts
match) tests each entry against the filters; what it tests most is in the index, so a
post of another network or status costs an index entry, not a table row."""

import pytest
from django.db import connection

from core.terms import COUNTERS

# What a walk tests on nearly every page: not deleted, and the queue's status and
# network filters (presets are statuses).
TESTED = {"deleted_at", "status", "network"}


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "posts_post")
    return {name: info["columns"] for name, info in found.items() if info["index"]}


@pytest.mark.django_db
@pytest.mark.parametrize("counter", COUNTERS)
def test_a_counter_sort_walks_an_index_holding_what_it_tests(counter) -> None:
    columns = _indexes()[f"post_{counter}_id"]
    assert columns[:2] == [counter, "id"]  # the keyset's order
    assert set(columns) >= TESTED
